"""Whether a user may see a pitch's protected material because of an NDA. Used by the pitches context."""

from __future__ import annotations

from pitchey.ndas.models import Nda, access_key


def has_signed_nda(user_id: str, pitch_id: str) -> bool:
    """True only while the user holds a `signed` NDA for the pitch (not pending, expired or revoked).

    One Query on the sparse `signedAccess` index: only a signed NDA carries its accessKey, and revoking
    removes it in the same conditional write that sets `revoked`."""
    return any(Nda.signed_access.query(access_key(user_id, pitch_id), limit=1))
