"""Request bodies of the payment endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pitchey.core.schemas import InputModel

PAYMENT_METHOD = r"^pm_[A-Za-z0-9_]{1,120}$"


class Purchase(InputModel):
    pack: str = Field(min_length=1, max_length=40)
    payment_method_id: str = Field(pattern=PAYMENT_METHOD)


class ProcessInvestment(InputModel):
    investment_id: str = Field(min_length=1, max_length=100)
    payment_method_id: str = Field(pattern=PAYMENT_METHOD)


class Subscribe(InputModel):
    tier: str = Field(min_length=1, max_length=40)
    interval: Literal["month", "year"]
    payment_method_id: str = Field(pattern=PAYMENT_METHOD)


class NoBody(InputModel):
    """`POST /api/payments/cancel` takes an empty body or `{}`."""
