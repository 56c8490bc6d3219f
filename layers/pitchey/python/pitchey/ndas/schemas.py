"""Request bodies and the `nda` JSON of API.md."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictBool

from pitchey.core.schemas import InputModel
from pitchey.ndas.models import Nda


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


def nda_json(nda: Nda) -> dict[str, Any]:
    """Exactly the fields of API.md's `nda` (never task tokens, document keys, IP or user agent)."""
    return {
        "id": nda.id,
        "pitchId": nda.pitch_id,
        "pitchTitle": nda.pitch_title,
        "requesterId": nda.requester_id,
        "requesterType": nda.requester_type,
        "creatorId": nda.creator_id,
        "status": nda.status,
        "ndaType": nda.nda_type,
        "message": nda.message,
        "requestedAt": nda.requested_at,
        "expiresAt": nda.expires_at,
        "decidedAt": nda.decided_at,
        "rejectionReason": nda.rejection_reason,
        "signedAt": nda.signed_at,
        "signerName": nda.signer_name,
        "documentAvailable": nda.current_document_key is not None,
    }
