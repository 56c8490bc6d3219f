"""The scheduled aggregation (AnalyticsAggregationSchedule, every 5 minutes).

One run:
1. takes the lease (runs are one at a time; an overlapping run waits for it, then finds nothing new);
2. reads the minute buckets from `watermark - AnalyticsLateEventSeconds` up to now — one consistent Query
   per bucket and shard, never a Scan, so its cost follows the recent events and not the history;
3. adds to each touched hourly and daily aggregate the difference between what each minute holds now and
   what the aggregate already absorbed from it (PitchStat.parts), conditional on what it read: a re-run or
   a crash mid-run counts nothing twice, and a late event in a minute already aggregated is added once;
4. rewrites the realtime windows, rescoring trending and the views-spike alerts of the touched pitches;
5. only then advances the watermark (and releases the lease). A crash before that re-reads the same buckets.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from pitchey.analytics import aggregation
from pitchey.analytics.aggregation import Change, Contribution
from pitchey.analytics.models import SHARDS, TRENDING_PARTITION, AggregatorState, AnalyticsEvent, PitchStat
from pitchey.analytics.service import bucket_of
from pitchey.core import clock
from pitchey.core.log import logger
from pitchey.core.settings import settings

REALTIME_SECONDS = 300
LEASE_SECONDS = 330  # the function's timeout (300 s) and a margin: a crashed run's lease lapses by then
LEASE_WAIT_SECONDS = 60
PRUNE_MARGIN_SECONDS = 3600  # parts of minutes this far before the lookback can never be re-read
TRENDING_RESCORE_LIMIT = 500
MAX_VIEWERS = 15_000  # viewer hashes one aggregate item keeps (~21 bytes each, DynamoDB items <= 400 KB)
_ATTEMPTS = 4
_EVENT_FIELDS = ["sk", "type", "pitchId", "viewer", "durationMs", "amountCents"]
_HOUR_FIELDS = ["sk", *aggregation.TREND_WEIGHTS]


def late_seconds() -> int:
    return settings().analytics_late_event_seconds


# --- lease and watermark --------------------------------------------------------------------------
def _acquire(owner: str, wait_seconds: float) -> AggregatorState | None:
    deadline = time.monotonic() + wait_seconds
    while True:
        now = clock.epoch()
        state = AggregatorState()
        try:
            state.update(
                actions=[
                    AggregatorState.lease_owner.set(owner),
                    AggregatorState.lease_until.set(now + LEASE_SECONDS),
                ],
                condition=AggregatorState.lease_until.does_not_exist() | (AggregatorState.lease_until < now),
            )
            return state
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


def _finish(owner: str, watermark: int, window: tuple[str, str], summary: dict[str, Any]) -> None:
    AggregatorState().update(
        actions=[
            AggregatorState.watermark.set(watermark),
            AggregatorState.window_start.set(window[0]),
            AggregatorState.window_end.set(window[1]),
            AggregatorState.last_run.set(summary),
            AggregatorState.lease_owner.remove(),
            AggregatorState.lease_until.remove(),
        ],
        condition=AggregatorState.lease_owner == owner,
    )


def _release(owner: str) -> None:
    try:
        AggregatorState().update(
            actions=[AggregatorState.lease_owner.remove(), AggregatorState.lease_until.remove()],
            condition=AggregatorState.lease_owner == owner,
        )
    except UpdateError:
        logger.warning("aggregation lease was already gone")


# --- reading --------------------------------------------------------------------------------------
def minutes_between(first_ms: int, last_ms: int) -> list[int]:
    """The start (ms) of every minute from first_ms's to last_ms's, inclusive."""
    start = first_ms - first_ms % 60_000
    return list(range(start, last_ms + 1, 60_000))


def read_events(first_ms: int, last_ms: int) -> list[dict[str, Any]]:
    events = []
    for minute in minutes_between(first_ms, last_ms):
        for shard in range(SHARDS):
            for item in AnalyticsEvent.query(
                bucket_of(minute, shard), consistent_read=True, attributes_to_get=_EVENT_FIELDS
            ):
                events.append(
                    {
                        "sk": item.sk,
                        "type": item.type,
                        "pitchId": item.pitch_id,
                        "viewer": item.viewer,
                        "durationMs": item.duration_ms,
                        "amountCents": item.amount_cents,
                    }
                )
    return events


# --- writing the aggregates -----------------------------------------------------------------------
def _update_actions(
    change: Change, has_parts: bool, prune: list[str], known_viewers: set[str]
) -> tuple[list[Any], Any]:
    actions: list[Any] = [
        getattr(PitchStat, _attribute(name)).add(delta) for name, delta in change.deltas.items()
    ]
    new_viewers = change.viewers - known_viewers
    if len(known_viewers) + len(new_viewers) > MAX_VIEWERS:
        # Past what one item can hold: stop growing the set (uniqueViewers becomes a lower bound, flagged)
        # rather than fail every run from now on.
        actions.append(PitchStat.viewers_capped.set(True))
    elif new_viewers:
        actions.append(PitchStat.viewers.add(new_viewers))
    if not has_parts:
        return [*actions, PitchStat.parts.set(change.parts)], PitchStat.parts.does_not_exist()
    condition = None
    for minute, part in change.parts.items():
        actions.append(PitchStat.parts[minute].set(part))
        expected = change.expected[minute]
        check = (
            PitchStat.parts[minute].does_not_exist()
            if expected is None
            else PitchStat.parts[minute]["n"] == expected
        )
        condition = check if condition is None else condition & check
    actions += [PitchStat.parts[minute].remove() for minute in prune]
    return actions, condition


_ATTRIBUTES = {attr.attr_name: name for name, attr in PitchStat.get_attributes().items()}


def _attribute(stored_name: str) -> str:
    return _ATTRIBUTES[stored_name]


def apply(
    key: tuple[str, str], minutes: dict[str, Contribution], stored: PitchStat | None, prune_before: str
) -> bool:
    """Bring one aggregate up to date with `minutes`. True if it changed."""
    for _ in range(_ATTEMPTS):
        parts = dict(stored.parts.as_dict()) if stored is not None and stored.parts is not None else None
        change = aggregation.change_for(parts, minutes)
        if change is None:
            return False
        prune = [m for m in parts or {} if m < prune_before and m not in change.parts]
        known = set(stored.viewers or ()) if stored is not None else set()
        actions, condition = _update_actions(change, parts is not None, prune, known)
        try:
            PitchStat(*key).update(actions=actions, condition=condition)
            return True
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
        stored = _get(key)  # another writer got there first: recompute against what it left
    raise RuntimeError(f"aggregate {key} kept changing under the aggregation")


def _get(key: tuple[str, str]) -> PitchStat | None:
    try:
        return PitchStat.get(*key, consistent_read=True)
    except PitchStat.DoesNotExist:
        return None


def write_aggregates(per_item: dict[tuple[str, str], dict[str, Contribution]], prune_before: str) -> int:
    keys = list(per_item)
    stored: dict[tuple[str, str], PitchStat] = {}
    for i in range(0, len(keys), 100):
        for item in PitchStat.batch_get(keys[i : i + 100], consistent_read=True):
            stored[(item.pk, item.sk)] = item
    return sum(apply(key, per_item[key], stored.get(key), prune_before) for key in keys)


# --- realtime, trending, alerts -------------------------------------------------------------------
def write_realtime(events: list[dict[str, Any]], window: tuple[int, int]) -> None:
    """Each pitch with views in the window gets its RT item rewritten (a SET: a re-run writes the same)."""
    start, end = window
    views: dict[str, int] = {}
    viewers: dict[str, set[str]] = {}
    for event in events:
        if event["type"] == "pitch_view" and event["pitchId"] and start <= aggregation.event_ms(event) < end:
            views[event["pitchId"]] = views.get(event["pitchId"], 0) + 1
            viewers.setdefault(event["pitchId"], set()).add(event["viewer"] or "")
    labels = (_iso(start), _iso(end))
    with PitchStat.batch_write() as batch:
        for pitch_id, count in views.items():
            batch.save(
                PitchStat(
                    f"P#{pitch_id}",
                    "RT",
                    views=count,
                    unique_viewers=len(viewers[pitch_id]),
                    window_start=labels[0],
                    window_end=labels[1],
                )
            )


def _recent_hours(pitch_id: str, now: datetime) -> dict[str, dict[str, int]]:
    first = datetime.fromtimestamp(now.timestamp() - 3600 * aggregation.TREND_HORIZON_HOURS, UTC)
    hours = {}
    for item in PitchStat.query(
        f"P#{pitch_id}",
        PitchStat.sk.between(f"H#{first:%Y%m%d%H}", f"H#{now:%Y%m%d%H}"),
        consistent_read=True,
        attributes_to_get=_HOUR_FIELDS,
    ):
        hours[item.sk[2:]] = {
            name: int(getattr(item, _attribute(name)) or 0) for name in aggregation.TREND_WEIGHTS
        }
    return hours


def rescore(touched: dict[str, set[str]], now: datetime) -> int:
    """Trending scores for the touched pitches and for those already trending (their scores decay), and the
    spike alert for each touched hour. Returns the number of alerts sent."""
    ranked = {
        item.pk[2:]
        for item in PitchStat.trending.query(
            TRENDING_PARTITION, scan_index_forward=False, limit=TRENDING_RESCORE_LIMIT
        )
    }
    alerts = 0
    for pitch_id in set(touched) | ranked:
        hours = _recent_hours(pitch_id, now)
        score = aggregation.trend_score(hours, now)
        item = PitchStat(f"P#{pitch_id}", "TREND")
        if score > 0:
            item.update(
                actions=[
                    PitchStat.trend_key.set(TRENDING_PARTITION),
                    PitchStat.score.set(score),
                    PitchStat.scored_at.set(clock.iso(now)),
                ]
            )
        elif pitch_id in ranked:
            item.update(actions=[PitchStat.trend_key.remove(), PitchStat.score.remove()])
        views = {hour: counts["views"] for hour, counts in hours.items()}
        for hour in touched.get(pitch_id, ()):
            found = aggregation.spike(views, hour)
            if found and _alert(pitch_id, hour, *found):
                alerts += 1
    return alerts


def _alert(pitch_id: str, hour: str, views: int, average: float) -> bool:
    """Tell the creator once per pitch and hour: the marker's conditional put decides who sends it."""
    from pitchey.notifications.service import notify
    from pitchey.pitches.service import find

    pitch = find(pitch_id)
    if pitch is None:
        return False
    try:
        PitchStat(f"P#{pitch_id}", f"ALERT#{hour}", views=views).save(condition=PitchStat.sk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    notify(
        pitch.creator_id,
        "system",
        "Your pitch is getting attention",
        f'"{pitch.title}" had {views} views this hour, more than {aggregation.ALERT_FACTOR}x its usual rate',
        {
            "kind": "views_spike",
            "pitchId": pitch_id,
            "hour": _iso(int(aggregation.hour_start(hour).timestamp() * 1000)),
            "views": views,
            "trailingAverage": round(average, 2),
        },
    )
    return True


def _iso(ms: int) -> str:
    return clock.iso(datetime.fromtimestamp(ms / 1000, UTC))


# --- the run --------------------------------------------------------------------------------------
def run(wait_seconds: float = LEASE_WAIT_SECONDS) -> dict[str, Any]:
    owner = uuid.uuid4().hex
    state = _acquire(owner, wait_seconds)
    if state is None:
        logger.warning("aggregation skipped: another run holds the lease")
        return {"skipped": True}
    try:
        state.refresh(consistent_read=True)
        started = time.monotonic()
        now = clock.now()
        end_ms = int(now.timestamp() * 1000)
        late_ms = late_seconds() * 1000
        lookback_from = (int(state.watermark) * 1000 if state.watermark else end_ms) - late_ms
        first_ms = min(lookback_from, end_ms - REALTIME_SECONDS * 1000)
        events = read_events(first_ms, end_ms)
        per_pitch = aggregation.contributions(events)
        prune_before = aggregation.minute_key(first_ms - PRUNE_MARGIN_SECONDS * 1000)
        changed = write_aggregates(aggregation.by_aggregate(per_pitch), prune_before)
        window = (end_ms - REALTIME_SECONDS * 1000, end_ms)
        write_realtime(events, window)
        touched = {pitch: {minute[:10] for minute in minutes} for pitch, minutes in per_pitch.items()}
        alerts = rescore(touched, now)
        summary = {
            "events": len(events),
            "pitches": len(per_pitch),
            "aggregatesChanged": changed,
            "alerts": alerts,
            "from": _iso(first_ms),
            "to": _iso(end_ms),
            "seconds": round(time.monotonic() - started, 3),
        }
        _finish(owner, end_ms // 1000, (_iso(window[0]), _iso(window[1])), summary)
        logger.info("analytics aggregation finished", extra=summary)
        return summary
    except BaseException:
        _release(owner)  # the next run re-reads the same buckets; what was written is not counted again
        raise
