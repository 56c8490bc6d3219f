"""Analytics: one aggregation run's cost follows the new events, not the history; track latency.

* aggregation: the time of one run over BENCH_ANALYTICS_NEW (10 000) new events with no older events
  stored, then with BENCH_ANALYTICS_HISTORY (1 000 000) older events stored (the last 30 days, before the
  lookback). Median of BENCH_ANALYTICS_REPEATS runs each, the aggregates emptied before every run so each
  run does the same work. Target: ratio <= 1.2, on the process's CPU time (the run and moto share this
  process; CPU time does not move when other work shares the machine's cores; wall time is shown too).
  In-process moto; the older events are written straight into moto's backend (a million PutItems through
  the API would take minutes), and two moto costs DynamoDB does not have are removed (see
  _moto_like_dynamodb), so the figures time our code's reads and writes, not moto's.
* track: POST /api/analytics/track through the local runtime, p50/p95 of BENCH_TRACK_CALLS sequential calls,
  one pitch_view each and batches of 25.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [p for p in (str(ROOT), str(ROOT / "layers" / "pitchey" / "python")) if p not in sys.path]

NEW = int(os.environ.get("BENCH_ANALYTICS_NEW", "10000"))
HISTORY = int(os.environ.get("BENCH_ANALYTICS_HISTORY", "1000000"))
REPEATS = int(os.environ.get("BENCH_ANALYTICS_REPEATS", "3"))
TRACK_CALLS = int(os.environ.get("BENCH_TRACK_CALLS", "200"))
TARGET_RATIO = 1.2
PITCHES = 100
VIEWERS = 2000
# what a busy platform's stream looks like: mostly views
MIX = (
    ["pitch_view"] * 80
    + ["pitch_share"] * 6
    + ["media_play"] * 8
    + ["like_given"] * 4
    + ["nda_requested"] * 2
)


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@contextlib.contextmanager
def _moto_like_dynamodb() -> Iterator[None]:
    """Two moto costs DynamoDB does not have, removed for the bench (so it times our reads and writes):
    a base-table Query sorts every item of the table (DynamoDB reads one partition), and each response goes
    through a generic, per-attribute serializer (DynamoDB's JSON protocol is the result dict itself)."""
    from moto.core.responses import ActionResult
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    query, serialized = Table.query, DynamoHandler.serialized

    def partition_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("index_name") or not self.range_key_attr:
            return query(self, hash_key, *args, **kwargs)
        partition = list(self.items.get(hash_key, {}).values())
        self.all_items = lambda: partition  # this one call only
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    def json_result(self: Any, result: Any) -> Any:
        if isinstance(result, ActionResult) and not isinstance(result.result, Exception):
            try:
                body = json.dumps(result.result)
            except TypeError:
                return serialized(self, result)
            return 200, {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}, body
        return serialized(self, result)

    Table.query, DynamoHandler.serialized = partition_query, json_result
    try:
        yield
    finally:
        Table.query, DynamoHandler.serialized = query, serialized


def _fill(table: Any, count: int, first_ms: int, last_ms: int, rng: random.Random) -> None:
    """Events straight into moto's table, shaped exactly as the application writes them. (Built without
    moto's per-attribute size checks: a million items through them would take minutes.)"""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    from pitchey.analytics.models import SHARDS
    from pitchey.analytics.service import bucket_of

    def value(kind: str, text: str) -> DynamoType:
        typed = DynamoType.__new__(DynamoType)
        typed.type, typed.value = kind, text
        return typed

    # Values that repeat are shared (moto never changes an item it only reads): fewer objects to build.
    kinds = {kind: value("S", kind) for kind in MIX}
    sources = {source: value("S", source) for source in ("server", "track")}
    pitches = [value("S", f"pitch{n:04d}") for n in range(PITCHES)]
    viewers = [value("S", f"{n:020x}") for n in range(VIEWERS)]
    durations = [value("N", str(1000 + 119 * n)) for n in range(1000)]
    buckets: dict[str, DynamoType] = {}
    for i in range(count):
        ms = rng.randrange(first_ms, last_ms)
        kind = rng.choice(MIX)
        bucket = bucket_of(ms, rng.randrange(SHARDS))
        attrs = {
            "bucket": buckets.get(bucket) or buckets.setdefault(bucket, value("S", bucket)),
            "sk": value("S", f"{ms:013d}#{i:012d}{rng.getrandbits(64):016x}"),
            "type": kinds[kind],
            "pitchId": rng.choice(pitches),
            "viewer": rng.choice(viewers),
            "source": sources["server" if kind in ("like_given", "nda_requested") else "track"],
            "ttl": value("N", str(ms // 1000 + 30 * 86400)),
        }
        if kind == "pitch_view":
            attrs["durationMs"] = rng.choice(durations)
        item = Item.__new__(Item)
        item.hash_key, item.range_key = attrs["bucket"], attrs["sk"]
        item.attrs = LimitedSizeDict()
        dict.update(item.attrs, attrs)
        table.items[item.hash_key][item.range_key] = item
    # The stored events live in this process (in moto), not in the function's memory as on AWS: keep Python's
    # collector from walking a million of them on every collection the run triggers.
    gc.collect()
    gc.freeze()


def _timed_runs(aggregates: Any) -> tuple[float, float, dict[str, Any]]:
    """Median CPU seconds and median wall seconds of REPEATS runs, and the last run's summary."""
    from pitchey.analytics import aggregator

    cpu, wall, summary = [], [], {}
    for _ in range(REPEATS):
        aggregates.items.clear()  # no watermark, no aggregates: every run does the same work
        started, started_cpu = time.perf_counter(), time.process_time()
        summary = aggregator.run()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return statistics.median(cpu), statistics.median(wall), summary


def _aggregation() -> list[dict[str, Any]]:
    import boto3
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from local.template import create_tables, load_template

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # one INFO line per run is noise here
    rng = random.Random(13)
    with mock_aws(), _moto_like_dynamodb():
        create_tables(boto3.client("dynamodb", region_name="us-east-1"), load_template())
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        events, aggregates = (
            backend.get_table("AnalyticsEventsTable"),
            backend.get_table("AnalyticsAggregatesTable"),
        )
        now = int(time.time() * 1000)
        _fill(events, NEW, now - 150_000, now - 1000, rng)  # the last 2.5 minutes: inside every lookback
        empty, empty_wall, summary = _timed_runs(aggregates)
        assert summary["events"] == NEW, summary
        started = time.perf_counter()
        _fill(events, HISTORY, now - 29 * 86400_000, now - 2 * 3600_000, rng)
        filled = time.perf_counter() - started
        loaded, loaded_wall, summary = _timed_runs(aggregates)
        assert summary["events"] == NEW, summary
    ratio = loaded / empty
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER target"
    note = f"median of {REPEATS}, CPU time of the process (moto runs in it)"
    return [
        {"metric": f"aggregate {NEW} new, 0 older (CPU)", "value": empty, "unit": "s", "note": note},
        {"metric": f"aggregate {NEW} new, {HISTORY} older (CPU)", "value": loaded, "unit": "s", "note": note},
        {
            "metric": "aggregation history ratio (CPU)",
            "value": ratio,
            "unit": "x",
            "note": f"target <= {TARGET_RATIO}: {verdict}",
        },
        {
            "metric": f"aggregate {NEW} new, 0 older (wall)",
            "value": empty_wall,
            "unit": "s",
            "note": f"median of {REPEATS}",
        },
        {
            "metric": f"aggregate {NEW} new, {HISTORY} older (wall)",
            "value": loaded_wall,
            "unit": "s",
            "note": f"median of {REPEATS}; history written in {filled:.0f} s",
        },
        {
            "metric": "aggregation history ratio (wall)",
            "value": loaded_wall / empty_wall,
            "unit": "x",
            "note": "load-sensitive",
        },
    ]


def _track() -> list[dict[str, Any]]:
    from local.testing import start_runtime
    from tests.integration.accounts import register

    overrides = {"AuthRateLimitPerMinute": "100000", "ApiRateLimitPerMinute": "100000"}
    overrides["TrackRateLimitPerMinute"] = "100000"
    with start_runtime(overrides) as runtime:
        owner = register(runtime, "creator")
        body = {"title": "Bench", "logline": "Timing.", "genre": "drama", "format": "feature"}
        pitch = runtime.client.post("/api/pitches", json=body, headers=owner.headers).json()["data"]["id"]
        runtime.client.put(
            f"/api/pitches/{pitch}",
            json={"status": "published", "shortSynopsis": "S."},
            headers=owner.headers,
        )
        rows = []
        view = {"eventType": "pitch_view", "pitchId": pitch, "sessionId": "bench"}
        for label, payload in (("1 event", view), ("25 events", {"events": [view] * 25})):
            samples = []
            for n in range(TRACK_CALLS + 5):
                started = time.perf_counter()
                answer = runtime.client.post("/api/analytics/track", json=payload)
                elapsed = (time.perf_counter() - started) * 1000
                assert answer.status_code == 202, answer.text
                if n >= 5:  # the first calls start the worker
                    samples.append(elapsed)
            note = f"{TRACK_CALLS} sequential calls through the local runtime"
            rows += [
                {
                    "metric": f"track {label} p50",
                    "value": statistics.median(samples),
                    "unit": "ms",
                    "note": note,
                },
                {
                    "metric": f"track {label} p95",
                    "value": _percentile(samples, 0.95),
                    "unit": "ms",
                    "note": "",
                },
            ]
        return rows


def run() -> list[dict[str, Any]]:
    return _aggregation() + _track()
