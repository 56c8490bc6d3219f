"""The following feed: `record` fans an event out to the followers of its pitch and of the pitch's
creator (BatchWriteItem, one item per distinct follower); `feed` reads a user's items newest first.

Writers call `record` after their change is stored, as best effort (a failed fan-out is logged, the change
stands), like the followers' notifications of a pitch update.
"""

from __future__ import annotations

from typing import Any

from pitchey.activity.models import ACTIVITY_TYPES, FeedItem
from pitchey.core import clock
from pitchey.core.caller import Caller
from pitchey.core.db import Page, PageRequest, query_page
from pitchey.core.ids import new_id
from pitchey.core.log import logger


def record(type: str, *, pitch_id: str, creator_id: str, actor_id: str, summary: str) -> int:
    """Write the event into the feed of everyone following the pitch or its creator (not the actor).
    Returns how many feeds it reached."""
    from pitchey.follows.models import follower_ids

    if type not in ACTIVITY_TYPES:
        raise ValueError(f"unknown activity type {type!r}")
    try:
        followers = dict.fromkeys(follower_ids("pitch", pitch_id) + follower_ids("user", creator_id))
        followers.pop(actor_id, None)
        at, event_id = clock.iso_precise(), new_id()
        with FeedItem.batch_write() as batch:
            for user_id in followers:
                batch.save(
                    FeedItem(
                        user_id,
                        f"{at}#{event_id}",
                        type=type,
                        pitch_id=pitch_id,
                        actor_id=actor_id,
                        summary=summary,
                        at=clock.iso(),
                    )
                )
        return len(followers)
    except Exception:
        logger.exception("activity fan-out failed", extra={"pitch_id": pitch_id, "type": type})
        return 0


def _item_json(item: FeedItem) -> dict[str, Any]:
    return {
        "type": item.type,
        "pitchId": item.pitch_id,
        "actorId": item.actor_id,
        "summary": item.summary,
        "at": item.at,
    }


def feed(caller: Caller, page: PageRequest) -> Page[dict[str, Any]]:
    result = query_page(
        FeedItem,
        lambda **paging: FeedItem.query(caller.id, scan_index_forward=False, **paging),
        ["userId", "sk"],
        page=page,
        scope=f"activity:{caller.id}",
    )
    return result.map(_item_json)


def count_since(user_id: str, since: str) -> int:
    """Feed items a user received at or after `since` (an `iso_precise` time): one counting Query."""
    return FeedItem.count(user_id, FeedItem.sk >= since)
