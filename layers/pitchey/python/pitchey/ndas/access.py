"""Whether a user may see a pitch's protected material because of an NDA. Used by the pitches context."""

from __future__ import annotations

from pitchey.ndas.models import Nda, access_key


def has_signed_nda(user_id: str, pitch_id: str) -> bool:
    """True only while the user holds a `signed` NDA for the pitch (not pending, expired or revoked).

    One Query on the sparse `signedAccess` index: only a signed NDA carries its accessKey, and revoking
    removes it in the same conditional write that sets `revoked`."""
    return any(Nda.signed_access.query(access_key(user_id, pitch_id), limit=1))


def signed_pitch_ids(user_id: str, limit: int = 200) -> list[str]:
    """Pitches the user holds a signed NDA for (their latest `limit` signed NDAs): one Query on
    `byRequesterStatus`."""
    from pitchey.ndas.models import SIGNED

    found = Nda.by_requester_status.query(
        f"{user_id}#{SIGNED}", scan_index_forward=False, limit=limit, attributes_to_get=["pitchId"]
    )
    return list(dict.fromkeys(nda.pitch_id for nda in found))


def template_available(owner_id: str, template_id: str) -> bool:
    """Whether a creator may make `template_id` a pitch's default NDA template: a standard template, or one
    of the creator's own (one GetItem on the owner's key: another creator's template is not found)."""
    from pitchey.ndas.models import NdaTemplate
    from pitchey.ndas.standard_templates import BY_ID

    if template_id in BY_ID:
        return True
    try:
        NdaTemplate.get(owner_id, template_id, consistent_read=True, attributes_to_get=["id"])
    except NdaTemplate.DoesNotExist:
        return False
    return True
