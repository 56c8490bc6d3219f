"""Notification shapes: API.md's `notification` (for the inbox and live pushes) and preference requests."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pitchey.core.schemas import InputModel
from pitchey.notifications.models import notification_view as notification_view  # lives with the model

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
