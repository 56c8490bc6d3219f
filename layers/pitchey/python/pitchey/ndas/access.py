"""Whether a user may see a pitch's protected material because of an NDA. Used by the pitches context."""

from __future__ import annotations

from pitchey.core import clock
from pitchey.ndas.models import Nda, OpenNdaClaim, open_claim_key


def grant_lookup(user_id: str, pitch_id: str) -> tuple[type[OpenNdaClaim], str]:
    """The (model, key) of the user's access grant for the pitch, for `core.db.get_many` beside the pitch."""
    return OpenNdaClaim, open_claim_key(pitch_id, user_id)


def grants(claim: OpenNdaClaim | None) -> bool:
    """Whether a grant read with `grant_lookup` opens the pitch's protected material now."""
    return claim is not None and claim.grants_access(clock.epoch())


def has_signed_nda(user_id: str, pitch_id: str) -> bool:
    """True only while the user holds a `signed` NDA for the pitch (not pending, expired or revoked) whose
    access period, if it has one, has not ended: one GetItem of the grant (see OpenNdaClaim)."""
    try:
        return grants(OpenNdaClaim.get(open_claim_key(pitch_id, user_id), consistent_read=True))
    except OpenNdaClaim.DoesNotExist:
        return False


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


def signed_among(user_id: str, pitch_ids: list[str]) -> set[str]:
    """Which of `pitch_ids` the user holds a signed NDA for, for a list of pitches: their grants in one
    BatchGetItem per 100 pitches."""
    keys = {open_claim_key(pitch_id, user_id): pitch_id for pitch_id in pitch_ids}
    now = clock.epoch()
    return {
        keys[claim.key]
        for claim in OpenNdaClaim.batch_get(list(keys), consistent_read=True)
        if claim.grants_access(now)
    }
