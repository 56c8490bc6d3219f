"""Read-only questions other contexts ask about investments."""

from __future__ import annotations

from pitchey.investments.models import OPEN_STATUSES, Investment


def has_open_investments(pitch_id: str) -> bool:
    """Whether any investment in `pitch_id` is not yet terminal: one Query on `byPitch`, filtered on status
    and stopping at the first hit (only the status is read back)."""
    results = Investment.by_pitch.query(
        pitch_id,
        filter_condition=Investment.status.is_in(*OPEN_STATUSES),
        attributes_to_get=["id", "pitchId", "createdAt", "status"],
        page_size=100,
    )
    return next(iter(results), None) is not None
