"""Read-only follow questions other contexts ask (pitch notifications, the following feed)."""

from __future__ import annotations

from pitchey.follows.models import Follow, target_key


def follower_ids(target_type: str, target_id: str) -> list[str]:
    """Every follower of a user or pitch (Query on byTarget, all pages)."""
    return [
        follow.follower_id
        for follow in Follow.by_target.query(
            target_key(target_type, target_id), attributes_to_get=["followerId"], page_size=500
        )
    ]


def followed_targets(follower_id: str, limit: int) -> list[Follow]:
    """The `limit` most recent follows of a user (Query on byFollower, newest first)."""
    return list(Follow.by_follower.query(follower_id, scan_index_forward=False, limit=limit))
