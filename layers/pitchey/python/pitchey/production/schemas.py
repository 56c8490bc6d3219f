"""Request bodies of the production endpoints (money in integer cents, dates YYYY-MM-DD)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictInt

from pitchey.core.schemas import InputModel

MAX_CENTS = 10**13  # $100bn: beyond any film budget, and exact in a DynamoDB number


def _real_date(value: str) -> str:
    date.fromisoformat(value)  # "2026-02-30" is refused (ValueError → 422)
    return value


Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_real_date)]
Cents = Annotated[StrictInt, Field(ge=0, le=MAX_CENTS)]
Stage = Literal["development", "pre_production", "production", "post_production", "delivery", "release"]
Category = Literal[
    "development", "cast", "crew", "locations", "equipment", "post_production", "marketing", "other"
]


class ProposeProject(InputModel):
    pitch_id: str = Field(min_length=1, max_length=100)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    budget_cents: Cents
    start_date: Day | None = None
    target_release_date: Day | None = None
    message: str | None = Field(default=None, max_length=2000)


class UpdateProject(InputModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    stage: Stage | None = None
    status: Literal["active", "paused", "completed", "cancelled"] | None = None
    target_release_date: Day | None = None


class BudgetLine(InputModel):
    category: Category
    planned_cents: Cents


class Expense(InputModel):
    category: Category
    amount_cents: Annotated[StrictInt, Field(gt=0, le=MAX_CENTS)]
    description: str = Field(min_length=1, max_length=500)
    incurred_on: Day


class NoBody(InputModel):
    """accept / decline take an empty body or `{}`."""
