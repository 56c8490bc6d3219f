"""Realtime push through the local runtime: notify() write → WebSocket frame received.

* latency: one user, one connection, N sequential notifications (default 200, BENCH_PUSH_COUNT);
  p50 / p95 / max from just before the write until the frame is read. Target p50 < 50 ms (API.md).
* fan-out: one user with 20 connections; time from the write until all 20 have the frame (median of
  BENCH_FANOUT_ROUNDS rounds).

The path measured is the real one: the Notifications table's stream poller invokes NotifyPushFunction in a
warm worker, which posts to each connection through the runtime's @connections endpoint. A few warm-up
notifications are sent first, so worker cold starts are not counted (bench_coldstart measures those).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [p for p in (str(ROOT), str(ROOT / "layers" / "pitchey" / "python")) if p not in sys.path]

from local.functions import FAKE_CREDENTIALS  # noqa: E402
from local.testing import RuntimeProcess  # noqa: E402

COUNT = int(os.environ.get("BENCH_PUSH_COUNT", "200"))
FANOUT_CONNECTIONS = 20
FANOUT_ROUNDS = int(os.environ.get("BENCH_FANOUT_ROUNDS", "10"))
WARMUP = 5
TARGET_P50_MS = 50.0
OVERRIDES = {"AuthRateLimitPerMinute": "100000", "ApiRateLimitPerMinute": "100000"}


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _wait_for(connection, notification_id: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(connection.recv(timeout=max(0.01, deadline - time.monotonic())))
        if frame.get("data", {}).get("id") == notification_id:
            return


def _latency(runtime: RuntimeProcess) -> list[dict]:
    from pitchey.notifications.service import notify
    from tests.integration.accounts import register
    from tests.integration.notifications_support import request_reply, ws_connect

    user = register(runtime, "investor")
    samples = []
    with ws_connect(runtime, user.token) as ws:
        request_reply(ws, {"action": "ping"})
        for n in range(WARMUP + COUNT):
            started = time.perf_counter()
            note = notify(user.id, "system", f"Bench {n}", "latency probe")
            _wait_for(ws, note.id)
            if n >= WARMUP:
                samples.append((time.perf_counter() - started) * 1000)
    p50 = statistics.median(samples)
    verdict = "ok" if p50 < TARGET_P50_MS else "OVER target"
    note = (
        f"{COUNT} notifications, write -> stream -> push -> frame; target p50 < {TARGET_P50_MS} ms: {verdict}"
    )
    return [
        {"metric": "notify -> frame p50", "value": p50, "unit": "ms", "note": note},
        {"metric": "notify -> frame p95", "value": _percentile(samples, 0.95), "unit": "ms", "note": ""},
        {"metric": "notify -> frame max", "value": max(samples), "unit": "ms", "note": ""},
    ]


def _fan_out(runtime: RuntimeProcess) -> list[dict]:
    from pitchey.notifications.service import notify
    from tests.integration.accounts import register
    from tests.integration.notifications_support import request_reply, ws_connect

    user = register(runtime, "investor")
    connections = [ws_connect(runtime, user.token) for _ in range(FANOUT_CONNECTIONS)]
    try:
        for ws in connections:
            request_reply(ws, {"action": "ping"})
        rounds = []
        for n in range(1 + FANOUT_ROUNDS):
            started = time.perf_counter()
            note = notify(user.id, "system", f"Fan-out {n}", "fan-out probe")
            for ws in connections:
                _wait_for(ws, note.id)
            if n:  # the first round warms the fan-out threads
                rounds.append((time.perf_counter() - started) * 1000)
    finally:
        for ws in connections:
            ws.close()
    note = f"one notification to all {FANOUT_CONNECTIONS} connections of one user, {FANOUT_ROUNDS} rounds"
    return [
        {
            "metric": "fan-out to every connection median",
            "value": statistics.median(rounds),
            "unit": "ms",
            "note": note,
        },
        {"metric": "fan-out to every connection max", "value": max(rounds), "unit": "ms", "note": ""},
    ]


def run() -> list[dict]:
    os.environ.update({**FAKE_CREDENTIALS, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"})
    from tests.integration.notifications_support import models_on

    with RuntimeProcess(OVERRIDES).start(60) as runtime, models_on(runtime):
        return _latency(runtime) + _fan_out(runtime)


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))
