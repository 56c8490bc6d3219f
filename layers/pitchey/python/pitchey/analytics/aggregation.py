"""The pure part of the aggregation: events → per-pitch, per-minute contributions, and how a contribution
already added to an aggregate is turned into the difference still to add. No I/O here (unit-tested alone)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pitchey.analytics.models import COUNTERS

# event type → counter it moves (pitch_view also moves durations and the viewer set; see add()).
_COUNTER_OF = {
    "pitch_view": "views",
    "pitch_share": "shares",
    "media_play": "mediaPlays",
    "like_given": "likes",
    "nda_requested": "ndaRequests",
    "nda_signed": "ndasSigned",
    "investment_created": "investments",
}


@dataclass
class Contribution:
    """What the events of one pitch in one minute add up to. `n`: how many events it was computed from
    (events are only ever added to a minute, so a larger n is a later, complete re-read)."""

    n: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    viewers: set[str] = field(default_factory=set)

    def add(self, event: dict[str, Any]) -> None:
        self.n += 1
        counter = _COUNTER_OF.get(event["type"])
        if counter is None:
            return  # client-tracked pitch_like / nda_request / investment_view: the server counts those
        self.counts[counter] += 1
        if counter == "views":
            if event.get("viewer"):
                self.viewers.add(event["viewer"])
            if event.get("durationMs") is not None:
                self.counts["durationMs"] += int(event["durationMs"])
                self.counts["durations"] += 1
        elif counter == "investments":
            self.counts["investedCents"] += int(event.get("amountCents") or 0)

    def stored(self) -> dict[str, int]:
        """The map kept in an aggregate's `parts` (viewers go to its set, where ADD is idempotent)."""
        return {"n": self.n, **{k: v for k, v in self.counts.items() if v}}


def minute_key(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y%m%d%H%M")


def hour_key(minute: str) -> str:
    return f"H#{minute[:10]}"


def day_key(minute: str) -> str:
    return f"D#{minute[:4]}-{minute[4:6]}-{minute[6:8]}"


def event_ms(event: dict[str, Any]) -> int:
    return int(event["sk"].split("#", 1)[0])


def contributions(events: list[dict[str, Any]]) -> dict[str, dict[str, Contribution]]:
    """pitch id → minute → Contribution (events without a pitch count for no pitch)."""
    result: dict[str, dict[str, Contribution]] = defaultdict(lambda: defaultdict(Contribution))
    for event in events:
        if event.get("pitchId"):
            result[event["pitchId"]][minute_key(event_ms(event))].add(event)
    return result


def by_aggregate(
    per_pitch: dict[str, dict[str, Contribution]],
) -> dict[tuple[str, str], dict[str, Contribution]]:
    """(pk, sk) of each hourly and daily aggregate → the minutes that fall in it."""
    items: dict[tuple[str, str], dict[str, Contribution]] = defaultdict(dict)
    for pitch_id, minutes in per_pitch.items():
        for minute, contribution in minutes.items():
            for sk in (hour_key(minute), day_key(minute)):
                items[(f"P#{pitch_id}", sk)][minute] = contribution
    return items


@dataclass
class Change:
    """What one aggregate still needs: counter deltas, new viewers, part maps to set, and per part the `n`
    the update is conditional on (None: the part must not exist yet)."""

    deltas: dict[str, int]
    viewers: set[str]
    parts: dict[str, dict[str, int]]
    expected: dict[str, int | None]


def change_for(stored_parts: dict[str, Any] | None, minutes: dict[str, Contribution]) -> Change | None:
    """The difference between what the aggregate has absorbed from each minute and what the minute holds now.
    None when nothing is new (a re-run)."""
    stored_parts = stored_parts or {}
    deltas = dict.fromkeys(COUNTERS, 0)
    viewers: set[str] = set()
    parts: dict[str, dict[str, int]] = {}
    expected: dict[str, int | None] = {}
    for minute, contribution in minutes.items():
        before = stored_parts.get(minute)
        before_n = int(before["n"]) if before else None
        if before_n is not None and before_n >= contribution.n:
            continue  # already absorbed (or absorbed from a later read)
        for counter in COUNTERS:
            deltas[counter] += contribution.counts[counter] - int((before or {}).get(counter, 0))
        viewers |= contribution.viewers
        parts[minute] = contribution.stored()
        expected[minute] = before_n
    if not parts:
        return None
    return Change({k: v for k, v in deltas.items() if v}, viewers, parts, expected)


# --- trending and alerts --------------------------------------------------------------------------
TREND_WEIGHTS = {"views": 1, "likes": 3, "shares": 4, "mediaPlays": 2, "ndaRequests": 5, "investments": 10}
TREND_HALF_LIFE_HOURS = 24
TREND_HORIZON_HOURS = 72
ALERT_FACTOR = 5
ALERT_TRAILING_HOURS = 24
ALERT_MIN_VIEWS = 10


def hour_start(hour: str) -> datetime:
    return datetime.strptime(hour, "%Y%m%d%H").replace(tzinfo=UTC)


def trend_score(hours: dict[str, dict[str, int]], now: datetime) -> float:
    """Σ weighted activity per hour x 0.5^(age / half-life), age measured from the middle of the hour."""
    score = 0.0
    for hour, counts in hours.items():
        age = (now - hour_start(hour)).total_seconds() / 3600 - 0.5
        if age > TREND_HORIZON_HOURS:
            continue
        weight = sum(counts.get(name, 0) * w for name, w in TREND_WEIGHTS.items())
        score += weight * 0.5 ** (max(age, 0.0) / TREND_HALF_LIFE_HOURS)
    return round(score, 6)


def spike(hours: dict[str, int], hour: str) -> tuple[int, float] | None:
    """(views, trailing average) when `hour`'s views pass ALERT_FACTOR x the average of the 24 hours before
    it (hours without views count as 0) and are at least ALERT_MIN_VIEWS; else None."""
    start = hour_start(hour).timestamp()
    trailing = [
        hours.get(datetime.fromtimestamp(start - 3600 * i, UTC).strftime("%Y%m%d%H"), 0)
        for i in range(1, ALERT_TRAILING_HOURS + 1)
    ]
    average = sum(trailing) / ALERT_TRAILING_HOURS
    views = hours.get(hour, 0)
    if views >= ALERT_MIN_VIEWS and views > ALERT_FACTOR * average:
        return views, average
    return None
