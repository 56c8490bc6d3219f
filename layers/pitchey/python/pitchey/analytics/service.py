"""The analytics context's public entry points.

`record` is the server-side hook other contexts call when something really happens to a pitch (an NDA
requested or signed, a like given, an investment created). It is one PutItem of a raw event into the same
minute buckets the track endpoint writes, so the aggregator counts it exactly once like any other event.
It is best effort: the action has already happened and must not fail because analytics is unavailable, so
a failed write is logged, never raised. Cheap to import: only PynamoDB and core.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any

from pitchey.core.ids import new_id
from pitchey.core.log import logger

# Server event types: what happened, as opposed to what a client said (API.md "count what really happened").
NDA_REQUESTED = "nda_requested"
NDA_SIGNED = "nda_signed"
LIKE_GIVEN = "like_given"
INVESTMENT_CREATED = "investment_created"
SERVER_EVENTS = (NDA_REQUESTED, NDA_SIGNED, LIKE_GIVEN, INVESTMENT_CREATED)


def now_ms() -> int:
    return int(time.time() * 1000)


def minute_of(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y%m%d%H%M")


def bucket_of(ms: int, shard: int) -> str:
    return f"{minute_of(ms)}#{shard}"


def new_event(event_type: str, ms: int, **fields: Any):  # -> AnalyticsEvent
    from pitchey.analytics.models import EVENT_TTL_SECONDS, SHARDS, AnalyticsEvent

    return AnalyticsEvent(
        bucket_of(ms, random.randrange(SHARDS)),  # spreading load, not security
        f"{ms:013d}#{new_id()}",
        type=event_type,
        ttl=ms // 1000 + EVENT_TTL_SECONDS,
        **fields,
    )


def record(
    event_type: str, pitch_id: str, *, actor_id: str | None = None, amount_cents: int | None = None
) -> None:
    """Something really happened to `pitch_id` (one of SERVER_EVENTS). Never raises."""
    if event_type not in SERVER_EVENTS:
        raise ValueError(f"unknown analytics server event {event_type}")
    try:
        new_event(
            event_type,
            now_ms(),
            pitch_id=pitch_id,
            user_id=actor_id,
            amount_cents=amount_cents,
            source="server",
        ).save()
    except Exception:
        logger.exception("analytics event not recorded", extra={"type": event_type, "pitch_id": pitch_id})


def trending_pitches(limit: int) -> list[Any]:
    """The published pitches with the highest decayed trending score (see analytics.trending)."""
    from pitchey.analytics.trending import trending_pitches as ranked

    return ranked(limit)
