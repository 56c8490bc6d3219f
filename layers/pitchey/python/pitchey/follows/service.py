"""Following users and pitches. A follow is a conditional put (so following twice counts once); for pitches
the follower counter moves in the same transaction. A new follower of a user notifies that user."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pitchey.core import clock, ratelimit
from pitchey.core.db import Page, PageRequest, Transaction, TransactionCancelled, query_page, transact
from pitchey.core.errors import NotFound, ValidationFailed
from pitchey.core.log import logger
from pitchey.follows.models import Follow, target_key
from pitchey.pitches.models import Pitch
from pitchey.pitches.service import (
    MAX_ID_LENGTH,
    feed_followed,
    feed_unfollowed,
    follower_count_actions,
    load_visible,
    seconds,
)
from pitchey.users.models import User

if TYPE_CHECKING:  # request bodies (pydantic) load only in the functions that parse them
    from pitchey.follows.schemas import FollowRequest

NEW_FOLLOWER_WINDOW = 24 * 3600  # one new_follower notification per follower per target per day


def follow_to_api(follow: Follow) -> dict[str, Any]:
    return {
        "targetType": follow.target_type,
        "targetId": follow.target_id,
        "followedAt": seconds(follow.followed_at),
    }


def _existing(follower_id: str, key: str) -> Follow:
    return Follow.get(follower_id, key, consistent_read=True)


def follow(user_id: str, body: FollowRequest) -> tuple[dict[str, Any], bool]:
    """Returns (follow, created). Unknown targets and pitches the caller may not see are 404."""
    key = target_key(body.target_type, body.target_id)
    item = Follow(
        user_id,
        key,
        target_type=body.target_type,
        target_id=body.target_id,
        followed_at=clock.iso_precise(),
    )
    if body.target_type == "user":
        if body.target_id == user_id:
            raise ValidationFailed.field("targetId", "You cannot follow yourself")

        def write(transaction: Transaction) -> None:
            transaction.check("target", User, body.target_id, condition=User.id.exists())
            transaction.put("follow", item, condition=Follow.target_key.does_not_exist())

    else:
        load_visible(body.target_id, user_id)

        def write(transaction: Transaction) -> None:
            transaction.put("follow", item, condition=Follow.target_key.does_not_exist())
            transaction.update(
                "target",
                Pitch(body.target_id),
                follower_count_actions(1),
                condition=Pitch.id.exists(),
            )

    try:
        transact(write)
    except TransactionCancelled as cancelled:
        if "target" in cancelled.failed:
            raise NotFound("Nothing to follow here") from None
        return follow_to_api(_existing(user_id, key)), False  # already following
    feed_followed(user_id, body.target_type, body.target_id)
    if body.target_type == "user":
        _notify_new_follower(user_id, body.target_id)
    return follow_to_api(item), True


def _notify_new_follower(follower_id: str, followed_id: str) -> None:
    """At most once per follower and followed user per (UTC) day, so unfollow/follow loops cannot flood."""
    from pitchey.notifications.service import notify

    try:
        if not ratelimit.first_in_window("new-follower", f"{follower_id}#{followed_id}", NEW_FOLLOWER_WINDOW):
            return
        follower = User.get(follower_id)
        name = follower.username
        notify(
            followed_id,
            "new_follower",
            "New follower",
            f"{name} started following you",
            {"followerId": follower_id, "username": name, "userType": follower.user_type},
        )
    except Exception:
        # The follow is stored; a lost notification must not turn it into an error.
        logger.exception("new_follower notification failed", extra={"followed_id": followed_id})


def unfollow(user_id: str, target_type: str, target_id: str) -> dict[str, Any]:
    """Idempotent: not following is the same answer as having stopped."""
    if len(target_id) > MAX_ID_LENGTH:
        raise NotFound("Nothing followed here")
    key = target_key(target_type, target_id)

    def write(transaction: Transaction) -> None:
        transaction.delete("follow", Follow(user_id, key), condition=Follow.target_key.exists())
        if target_type == "pitch":
            transaction.update(
                "target",
                Pitch(target_id),
                follower_count_actions(-1),
                condition=Pitch.id.exists(),
            )

    try:
        transact(write)
    except TransactionCancelled:  # was not following: nothing to change
        pass
    else:
        feed_unfollowed(user_id, target_type, target_id)
    return {"targetType": target_type, "targetId": target_id, "following": False}


def following(user_id: str, page: PageRequest) -> Page[Follow]:
    return query_page(
        Follow,
        lambda **kw: Follow.by_follower.query(user_id, scan_index_forward=False, **kw),
        ("followerId", "targetKey", "followedAt"),
        page=page,
        scope=f"follows-following|{user_id}",
    )


def followers(user_id: str, page: PageRequest) -> Page[dict[str, Any]]:
    """Followers of the caller (as a user), with their public name and type."""
    result = query_page(
        Follow,
        lambda **kw: Follow.by_target.query(target_key("user", user_id), scan_index_forward=False, **kw),
        ("followerId", "targetKey", "followedAt"),
        page=page,
        scope=f"follows-followers|{user_id}",
    )
    ids = list(dict.fromkeys(f.follower_id for f in result.items))
    users = {u.id: u for u in User.batch_get(ids, attributes_to_get=["id", "username", "userType"])}
    rows = [
        {
            "userId": f.follower_id,
            "username": users[f.follower_id].username,
            "userType": users[f.follower_id].user_type,
            "followedAt": seconds(f.followed_at),
        }
        for f in result.items
        if f.follower_id in users
    ]
    return Page(rows, result.next_cursor, result.number, result.limit)
