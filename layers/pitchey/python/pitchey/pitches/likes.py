"""Likes: one per user and pitch. The like item's conditional put and the pitch's likeCount ADD are one
transaction, so concurrent likes are each counted exactly once and a repeated like changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pitchey.analytics import models as analytics
from pitchey.core import clock
from pitchey.core.db import Transaction, TransactionCancelled, transact
from pitchey.core.errors import NotFound
from pitchey.pitches import rules
from pitchey.pitches.models import Pitch, PitchLike
from pitchey.pitches.service import find, load_visible


def _result(pitch_id: str, liked: bool) -> dict[str, Any]:
    pitch = find(pitch_id)
    return {"pitchId": pitch_id, "liked": liked, "likeCount": pitch.like_count if pitch else 0}


def _counted(pitch_id: str, like_write: Callable[[Transaction], None], delta: int) -> bool:
    """Run the like write and the counter ADD together; a failed like condition means nothing to do.
    True when the like (or unlike) was applied."""

    def write(transaction: Transaction) -> None:
        like_write(transaction)
        transaction.update(
            "pitch",
            Pitch(pitch_id),
            [Pitch.like_count.add(delta), Pitch.popularity.add(delta * rules.LIKE_WEIGHT)],
            condition=Pitch.id.exists(),
        )

    try:
        transact(write)
    except TransactionCancelled as cancelled:
        if "pitch" in cancelled.failed:
            raise NotFound("Pitch not found") from None
        # Only the like's condition failed: already liked / not liked, which is the idempotent answer.
        return False
    return True


def like(user_id: str, pitch_id: str) -> dict[str, Any]:
    load_visible(pitch_id, user_id)
    item = PitchLike(pitch_id, user_id, liked_at=clock.iso_precise())
    if _counted(pitch_id, lambda t: t.put("like", item, condition=PitchLike.user_id.does_not_exist()), 1):
        analytics.record(analytics.LIKE_GIVEN, pitch_id, actor_id=user_id)
    return _result(pitch_id, True)


def unlike(user_id: str, pitch_id: str) -> dict[str, Any]:
    load_visible(pitch_id, user_id)
    item = PitchLike(pitch_id, user_id)
    _counted(pitch_id, lambda t: t.delete("like", item, condition=PitchLike.user_id.exists()), -1)
    return _result(pitch_id, False)
