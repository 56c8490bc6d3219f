"""Analytics storage: raw events by minute bucket, and the aggregates the dashboards read.

AnalyticsEvents: `bucket` = `yyyymmddHHMM#shard` (the minute the server received the event, spread over
SHARDS partitions so a busy minute is not one hot key), `sk` = `<epoch ms>#<id>`; expires after 30 days.

AnalyticsAggregates (one table, typed by key):
  P#<pitchId> / H#yyyymmddHH     hourly counters of a pitch     P#<pitchId> / D#yyyy-mm-dd   daily counters
  P#<pitchId> / RT               the last run's 5-minute window P#<pitchId> / TREND          trending score
  P#<pitchId> / ALERT#yyyymmddHH the views-spike alert, once    STATE / aggregator           watermark, lease
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core.config import table_name
from pitchey.core.ids import new_id
from pitchey.core.log import logger
from pitchey.core.models import TableMeta

SHARDS = 4
EVENT_TTL_SECONDS = 30 * 24 * 3600
TRENDING_PARTITION = "all"

# The counters one event can move, by their stored names (the same names in a part's contribution map).
COUNTERS = (
    "views",
    "likes",
    "shares",
    "mediaPlays",
    "durationMs",
    "durations",
    "ndaRequests",
    "ndasSigned",
    "investments",
    "investedCents",
)


class AnalyticsEvent(Model):
    class Meta(TableMeta):
        table_name = table_name("ANALYTICS_EVENTS_TABLE", "AnalyticsEventsTable")

    bucket = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = UnicodeAttribute()
    pitch_id = UnicodeAttribute(null=True, attr_name="pitchId")
    viewer = UnicodeAttribute(null=True)  # a hash of the viewer identity, never the IP itself
    user_id = UnicodeAttribute(null=True, attr_name="userId")
    session_id = UnicodeAttribute(null=True, attr_name="sessionId")
    duration_ms = NumberAttribute(null=True, attr_name="durationMs")
    amount_cents = NumberAttribute(null=True, attr_name="amountCents")
    metadata = MapAttribute(null=True)
    source = UnicodeAttribute(default="track")  # track: a client said so; server: it happened
    ttl = NumberAttribute()


class Trending(GlobalSecondaryIndex):
    class Meta:
        index_name = "trending"
        projection = AllProjection()

    trend_key = UnicodeAttribute(hash_key=True, attr_name="trendKey")
    score = NumberAttribute(range_key=True)


class PitchStat(Model):
    """An hourly or daily aggregate of one pitch (also the RT / TREND / ALERT items of the pitch).

    `parts`: minute (`yyyymmddHHMM`) → the contribution of that minute's events already added, with `n` the
    number of events it was computed from. A re-read of a minute adds only the difference, conditional on the
    `n` read, so a re-run or a crash mid-run never counts an event twice. Minutes no run reads again are
    dropped from the map."""

    class Meta(TableMeta):
        table_name = table_name("ANALYTICS_AGGREGATES_TABLE", "AnalyticsAggregatesTable")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    views = NumberAttribute(default=0)
    likes = NumberAttribute(default=0)
    shares = NumberAttribute(default=0)
    media_plays = NumberAttribute(default=0, attr_name="mediaPlays")
    duration_ms = NumberAttribute(default=0, attr_name="durationMs")
    durations = NumberAttribute(default=0)
    nda_requests = NumberAttribute(default=0, attr_name="ndaRequests")
    ndas_signed = NumberAttribute(default=0, attr_name="ndasSigned")
    investments = NumberAttribute(default=0)
    invested_cents = NumberAttribute(default=0, attr_name="investedCents")
    viewers = UnicodeSetAttribute(null=True)  # exact distinct viewer hashes
    viewers_capped = BooleanAttribute(null=True, attr_name="viewersCapped")  # set full: uniques a lower bound
    parts = MapAttribute(null=True)
    # RT items
    window_start = UnicodeAttribute(null=True, attr_name="windowStart")
    window_end = UnicodeAttribute(null=True, attr_name="windowEnd")
    unique_viewers = NumberAttribute(null=True, attr_name="uniqueViewers")
    # TREND items (sparse index: only pitches with a score above zero)
    trend_key = UnicodeAttribute(null=True, attr_name="trendKey")
    score = NumberAttribute(null=True)
    scored_at = UnicodeAttribute(null=True, attr_name="scoredAt")

    trending = Trending()


class AggregatorState(Model):
    """STATE / aggregator: the watermark (epoch seconds every event before which has been aggregated, less
    the late-event lookback) and the lease that keeps runs one at a time."""

    class Meta(TableMeta):
        table_name = table_name("ANALYTICS_AGGREGATES_TABLE", "AnalyticsAggregatesTable")

    pk = UnicodeAttribute(hash_key=True, default="STATE")
    sk = UnicodeAttribute(range_key=True, default="aggregator")
    watermark = NumberAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True, attr_name="leaseOwner")
    lease_until = NumberAttribute(null=True, attr_name="leaseUntil")
    window_start = UnicodeAttribute(null=True, attr_name="windowStart")
    window_end = UnicodeAttribute(null=True, attr_name="windowEnd")
    last_run = MapAttribute(null=True, attr_name="lastRun")


# --- raw events: the server-side hook -----------------------------------------------------------------
# `record` is best effort: the action has already happened and must not fail because analytics is
# unavailable, so a failed write is logged, never raised. One PutItem into the same minute buckets the
# track endpoint writes, so the aggregator counts it exactly once like any other event.
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


def new_event(event_type: str, ms: int, **fields: Any) -> AnalyticsEvent:
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
