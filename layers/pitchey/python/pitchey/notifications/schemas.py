"""Request shapes for notification preferences."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pitchey.core.schemas import InputModel

Frequency = Literal["instant", "daily", "weekly", "never"]


class EmailPreferencesInput(InputModel):
    # Defaults are not validated, so an omitted category stays "not sent" (kept as is) while an explicit
    # null is still refused as an invalid frequency.
    nda: Frequency = Field(default=None)  # type: ignore[assignment]
    investment: Frequency = Field(default=None)  # type: ignore[assignment]
    message: Frequency = Field(default=None)  # type: ignore[assignment]
    pitch: Frequency = Field(default=None)  # type: ignore[assignment]
    digest: Frequency = Field(default=None)  # type: ignore[assignment]

    def changes(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class PreferencesInput(InputModel):
    email: EmailPreferencesInput = Field(default_factory=EmailPreferencesInput)
