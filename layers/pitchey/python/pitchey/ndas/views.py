"""The `nda` JSON of API.md. Kept apart from the pydantic request schemas so read-only handlers stay light."""

from __future__ import annotations

from typing import Any

from pitchey.ndas.models import Nda


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
        # #21: the access period set at approval, and when access ends once signed (null: unlimited).
        "accessDays": int(nda.access_days) if nda.access_days else None,
        "accessExpiresAt": nda.access_expires_at,
    }
