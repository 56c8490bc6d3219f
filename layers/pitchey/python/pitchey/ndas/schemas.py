"""Request bodies of the NDA endpoints (the `nda` JSON is in views.py, which GET handlers import alone)."""

from __future__ import annotations

from pydantic import Field, StrictBool

from pitchey.core.schemas import InputModel


class RequestNda(InputModel):
    pitch_id: str = Field(min_length=1, max_length=100)
    message: str | None = Field(default=None, max_length=2000)


class RejectNda(InputModel):
    reason: str | None = Field(default=None, max_length=2000)


class SignNda(InputModel):
    signer_name: str = Field(min_length=1, max_length=200)
    # Strict: "yes" or 1 is not consent. Anything but `true` is refused by the service with 422.
    accept: StrictBool


class NoBody(InputModel):
    """Parameterless actions (approve, revoke) take an empty body or `{}`; any field is a 422."""
