"""Warm latency of two representative endpoints through the local runtime: `GET /api/health` (one DynamoDB
GetItem) and `POST /api/auth/creator/login` (bcrypt verify + session write + audit), p50/p95.

Login is measured at the template's bcrypt cost (12): its latency is dominated by that deliberate cost."""

from __future__ import annotations

import time
import uuid
from typing import Any

from bench.bench_runtime import percentile
from local.testing import RuntimeProcess

WARMUP = 5
HEALTH_SAMPLES = 200
LOGIN_SAMPLES = 30
# Lockout and per-IP limits would (correctly) stop a benchmark that logs in 30 times a minute.
OVERRIDES = {"AuthRateLimitPerMinute": "100000", "ApiRateLimitPerMinute": "100000"}


def _samples(call: Any, count: int) -> list[float]:
    for _ in range(WARMUP):
        call()
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _rows(name: str, timings: list[float]) -> list[dict[str, Any]]:
    note = f"{len(timings)} warm requests"
    return [
        {"metric": f"{name} p50", "value": percentile(timings, 0.5), "unit": "ms", "note": note},
        {"metric": f"{name} p95", "value": percentile(timings, 0.95), "unit": "ms", "note": ""},
    ]


def run() -> list[dict[str, Any]]:
    with RuntimeProcess(OVERRIDES) as runtime:
        runtime.start()
        client = runtime.client
        credentials = {"email": f"bench-{uuid.uuid4().hex[:8]}@example.com", "password": "bench-Passw0rd"}
        registered = client.post("/api/auth/creator/register", json={**credentials, "username": "bench"})
        assert registered.status_code == 201, registered.text

        def health() -> None:
            assert client.get("/api/health").status_code == 200

        def login() -> None:
            assert client.post("/api/auth/creator/login", json=credentials).status_code == 200

        return _rows("GET /api/health", _samples(health, HEALTH_SAMPLES)) + _rows(
            "POST /api/auth/creator/login", _samples(login, LOGIN_SAMPLES)
        )
