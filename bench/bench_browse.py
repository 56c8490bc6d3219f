"""Reading pitches through the local runtime: warm latency of the read endpoints against the same handler
called in-process on the same moto (target <= 1.5x p50), and 16 concurrent clients browsing and opening
pitches for BENCH_BROWSE_SECONDS (target p95 < 500 ms, zero errors)."""

from __future__ import annotations

import os
import random
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.bench_api import _samples
from bench.bench_runtime import percentile
from local.testing import RuntimeProcess

ROOT = Path(__file__).resolve().parent.parent
PITCHES = 20
SAMPLES = int(os.environ.get("BENCH_BROWSE_SAMPLES", "100"))
CLIENTS = 16
SECONDS = float(os.environ.get("BENCH_BROWSE_SECONDS", "20"))
OVERRIDES = {"AuthRateLimitPerMinute": "100000", "ApiRateLimitPerMinute": "100000"}
TARGET_RATIO = 1.5
TARGET_P95_MS = 500.0


def _seed(client: httpx.Client) -> list[str]:
    body = {"email": f"bench-{uuid.uuid4().hex[:8]}@example.com", "password": "bench-Passw0rd"}
    answer = client.post("/api/auth/creator/register", json={**body, "username": "bench"})
    assert answer.status_code == 201, answer.text
    token = client.post("/api/auth/creator/login", json=body).json()["data"]["accessToken"]
    auth = {"authorization": f"Bearer {token}"}
    ids = []
    for number in range(PITCHES):
        pitch = {"title": f"Pitch {number}", "logline": "A keeper hides a secret.", "genre": "drama"}
        pitch |= {"format": "feature", "shortSynopsis": "A storm, a keeper, a ship."}
        created = client.post("/api/pitches", json=pitch, headers=auth)
        assert created.status_code == 201, created.text
        pitch_id = created.json()["data"]["id"]
        published = client.put(f"/api/pitches/{pitch_id}", json={"status": "published"}, headers=auth)
        assert published.status_code == 200, published.text
        ids.append(pitch_id)
    return ids


def _in_process(runtime: RuntimeProcess) -> tuple[Any, Any]:
    """PitchBrowseFunction's and PitchGetFunction's handlers imported here, on the runtime's moto, with their
    workers' environment (Lambda's GetFunctionConfiguration: the tables, the secrets' ARNs, the log level)."""
    from local.functions import FAKE_CREDENTIALS

    lambda_api = runtime.boto3("lambda")
    for function in ("PitchBrowseFunction", "PitchGetFunction"):
        config = lambda_api.get_function_configuration(FunctionName=function)
        os.environ.update(config.get("Environment", {}).get("Variables", {}))
    os.environ.update(
        {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": runtime.aws,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    sys.path[:0] = [str(ROOT / "layers" / "pitchey" / "python")]
    from tests.events import load_handler

    def checked(handler: Any) -> Any:
        def call(event: dict[str, Any], context: Any) -> Any:
            answer = handler(event, context)
            assert answer["statusCode"] == 200, answer
            return answer

        return call

    return checked(load_handler("pitches/browse")), checked(load_handler("pitches/get"))


def _timed(call: Any) -> list[float]:
    return _samples(call, SAMPLES)


def _compare(name: str, http: list[float], direct: list[float]) -> list[dict[str, Any]]:
    http50, direct50 = percentile(http, 0.5), percentile(direct, 0.5)
    ratio = http50 / direct50
    verdict = "ok" if ratio <= TARGET_RATIO else f"OVER the {TARGET_RATIO}x target"
    return [
        {
            "metric": f"{name} over HTTP p50",
            "value": http50,
            "unit": "ms",
            "note": f"{SAMPLES} warm requests",
        },
        {"metric": f"{name} in-process p50", "value": direct50, "unit": "ms", "note": "same moto"},
        {"metric": f"{name} HTTP / in-process p50", "value": ratio, "unit": "x", "note": verdict},
    ]


def _concurrent(base_url: str, ids: list[str]) -> tuple[list[float], int, int]:
    timings: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + SECONDS

    def browse_and_read(seed: int) -> None:
        nonlocal errors
        chooser = random.Random(seed)
        with httpx.Client(base_url=base_url, timeout=30) as client:
            while time.perf_counter() < deadline:
                for path in ("/api/pitches/browse?limit=10", f"/api/pitches/{chooser.choice(ids)}"):
                    started = time.perf_counter()
                    try:
                        ok = client.get(path, headers={"x-session-id": f"c{seed}"}).status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    with lock:
                        timings.append((time.perf_counter() - started) * 1000)
                        errors += not ok

    threads = [threading.Thread(target=browse_and_read, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, errors, len(timings)


def run() -> list[dict[str, Any]]:
    from tests.events import http_event, lambda_context

    with RuntimeProcess(OVERRIDES) as runtime:
        runtime.start()
        client = runtime.client
        ids = _seed(client)
        browse, get = _in_process(runtime)
        pitch = ids[0]
        rows = _compare(
            "GET /api/pitches/browse",
            _timed(lambda: client.get("/api/pitches/browse?limit=10").raise_for_status()),
            _timed(
                lambda: browse(
                    http_event("GET", "/api/pitches/browse", query={"limit": "10"}), lambda_context()
                )
            ),
        )
        event = http_event(
            "GET", f"/api/pitches/{pitch}", path_params={"id": pitch}, route_key="GET /api/pitches/{id}"
        )
        rows += _compare(
            "GET /api/pitches/{id}",
            _timed(lambda: client.get(f"/api/pitches/{pitch}").raise_for_status()),
            _timed(lambda: get(event, lambda_context())),
        )
        timings, errors, count = _concurrent(runtime.http, ids)
    p95 = percentile(timings, 0.95)
    verdict = (
        "ok" if p95 < TARGET_P95_MS and errors == 0 else f"target p95 < {TARGET_P95_MS:.0f} ms, 0 errors"
    )
    note = f"{CLIENTS} clients, {SECONDS:.0f} s, browse + open a pitch"
    return [
        *rows,
        {"metric": "16 clients p50", "value": percentile(timings, 0.5), "unit": "ms", "note": note},
        {"metric": "16 clients p95", "value": p95, "unit": "ms", "note": verdict},
        {"metric": "16 clients requests/s", "value": count / SECONDS, "unit": "1/s", "note": ""},
        {"metric": "16 clients errors", "value": errors, "unit": "", "note": f"of {count}"},
    ]
