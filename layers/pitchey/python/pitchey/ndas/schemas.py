"""Request bodies of the NDA endpoints (the `nda` JSON is in views.py, which GET handlers import alone)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictInt

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


# --- #21: approval terms and bulk decisions --------------------------------------------------------------
MAX_CUSTOM_TERMS, MAX_ACCESS_DAYS, MAX_BULK_IDS = 10_000, 3650, 100


class ApproveNda(InputModel):
    """`{}` as before, or extra terms for the document and an access period (days after signing)."""

    custom_terms: str | None = Field(default=None, max_length=MAX_CUSTOM_TERMS)
    access_days: StrictInt | None = Field(default=None, ge=1, le=MAX_ACCESS_DAYS)


class BulkApprove(ApproveNda):
    ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=MAX_BULK_IDS
    )


class BulkReject(InputModel):
    ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=MAX_BULK_IDS
    )
    reason: str = Field(min_length=1, max_length=2000)
