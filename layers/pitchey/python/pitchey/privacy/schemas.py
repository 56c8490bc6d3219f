"""Request bodies of the privacy routes."""

from __future__ import annotations

from pydantic import Field

from pitchey.core.schemas import InputModel


class DeleteAccount(InputModel):
    password: str = Field(min_length=1, max_length=128)


class NoBody(InputModel):
    pass
