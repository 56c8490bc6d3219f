"""Local runtime: time to ready, and warm HTTP overhead of the gateway + worker pool over calling the
handler in-process (both against the same moto, so the DynamoDB round trip is in both figures)."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from local.testing import ROOT, RuntimeProcess

STARTS = 3
WARMUP = 20
SAMPLES = 300


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _start_times() -> tuple[list[float], list[float]]:
    to_healthy, reported = [], []
    for _ in range(STARTS):
        runtime = RuntimeProcess().start()
        to_healthy.append(runtime.startup_seconds or 0.0)
        reported.append(runtime.client.get("/_local/health").json()["readySeconds"])
        runtime.stop()
    return to_healthy, reported


def _in_process_handler(aws_endpoint: str) -> Any:
    """HealthFunction's handler imported here, configured as its worker is (same moto endpoint)."""
    from local.functions import FAKE_CREDENTIALS

    os.environ.update(
        {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": aws_endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "USERS_TABLE": "UsersTable",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    sys.path[:0] = [str(ROOT / "functions" / "platform"), str(ROOT / "layers" / "pitchey" / "python")]
    import health  # type: ignore[import-not-found]

    return health.handler


def _event() -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "GET /api/health",
        "rawPath": "/api/health",
        "rawQueryString": "",
        "headers": {"host": "127.0.0.1", "user-agent": "bench"},
        "requestContext": {
            "requestId": "bench",
            "http": {"method": "GET", "path": "/api/health", "sourceIp": "127.0.0.1", "userAgent": "bench"},
        },
        "isBase64Encoded": False,
    }


def _timed(call: Any) -> list[float]:
    for _ in range(WARMUP):
        call()
    samples = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def run() -> list[dict[str, Any]]:
    to_healthy, reported = _start_times()
    rows: list[dict[str, Any]] = [
        {
            "metric": "start to healthy (median)",
            "value": statistics.median(to_healthy),
            "unit": "s",
            "note": f"{STARTS} starts of `python -m local start`, real template; target < 10 s",
        },
        {
            "metric": "start to ready (runtime's own clock)",
            "value": statistics.median(reported),
            "unit": "s",
            "note": "excludes interpreter start-up and the first health poll",
        },
    ]
    with RuntimeProcess() as runtime:
        runtime.start()
        client = runtime.client

        def over_http() -> None:
            assert client.get("/api/health").status_code == 200

        http = _timed(over_http)
        handler = _in_process_handler(runtime.aws)
        event, context = _event(), type("Ctx", (), {"aws_request_id": "bench", "function_name": "bench"})()

        def in_process() -> None:
            assert handler(event, context)["statusCode"] == 200

        direct = _timed(in_process)
    http50, http95 = percentile(http, 0.5), percentile(http, 0.95)
    direct50, direct95 = percentile(direct, 0.5), percentile(direct, 0.95)
    rows += [
        {
            "metric": "GET /api/health over HTTP p50",
            "value": http50,
            "unit": "ms",
            "note": f"{SAMPLES} keep-alive requests",
        },
        {"metric": "GET /api/health over HTTP p95", "value": http95, "unit": "ms", "note": ""},
        {
            "metric": "handler called in-process p50",
            "value": direct50,
            "unit": "ms",
            "note": "same moto endpoint",
        },
        {"metric": "handler called in-process p95", "value": direct95, "unit": "ms", "note": ""},
        {
            "metric": "gateway + pool overhead p50",
            "value": http50 - direct50,
            "unit": "ms",
            "note": "HTTP p50 - in-process p50",
        },
        {"metric": "HTTP / in-process ratio p50", "value": http50 / direct50, "unit": "x", "note": ""},
        {"metric": "HTTP / in-process ratio p95", "value": http95 / direct95, "unit": "x", "note": ""},
    ]
    return rows


if __name__ == "__main__":
    from bench.__main__ import table

    print(table([{"bench": Path(__file__).stem, **row} for row in run()]))
