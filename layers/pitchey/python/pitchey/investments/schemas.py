"""Request bodies of the investment endpoints (the `investment` JSON is in views.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt

from pitchey.core.schemas import InputModel
from pitchey.investments.lifecycle import STATUSES

MAX_AMOUNT_CENTS = 10**12  # $10 billion: anything larger is a typo or an attack, refused with 422
Status = Literal[STATUSES]  # type: ignore[valid-type]


class CreateInvestment(InputModel):
    pitch_id: Annotated[str, Field(min_length=1, max_length=128)]
    # Integer cents only: StrictInt refuses 1.5, "100" and true alike.
    amount_cents: Annotated[StrictInt, Field(ge=1, le=MAX_AMOUNT_CENTS)]
    # Pitch goals are in USD, so investments are too (a second currency would make the goal meaningless).
    currency: Literal["USD"] = "USD"
    terms: Annotated[str, Field(max_length=5000)] | None = None


class TransitionInvestment(InputModel):
    to: Status
    note: Annotated[str, Field(max_length=2000)] | None = None
