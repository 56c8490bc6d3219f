"""Cold start as a user feels it: a fresh process imports a handler and serves its first request against a
local DynamoDB endpoint (moto server), vs a fresh process that imports boto3, creates the DynamoDB client
and makes one call (GetItem) against the same endpoint. Measured in the same run, reported as a ratio.

A sample of read endpoints (public and signed-in; every function would take ~10 minutes here), the median of
BENCH_COLDSTART_RUNS fresh processes each after one warm-up run (byte code compiled once, as in a deployed
package). Target: every sampled function <= 1.3x. Signed-in requests carry the Lambda authorizer's context, as
API Gateway passes it to protected routes (the authorizer, which decodes the token, is a function of its own).

Two ratios: wall time (what a user waits, moved by whatever else runs on the machine) and the process's CPU
time (imports, client set-up, serialisation: what the code costs, which a loaded machine does not move as
much; it leaves out the waits on the endpoint, the same few milliseconds per call in both).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import jwt

from bench.bench_coldstart import LAYER, ROOT, TARGET_RATIO

RUNS = int(os.environ.get("BENCH_COLDSTART_RUNS", "5"))
# (function, handler file, route path, path parameters, signed in)
SAMPLE = [
    ("HealthFunction", "platform/health", "/api/health", {}, False),
    ("PitchBrowseFunction", "pitches/browse", "/api/pitches/browse", {}, False),
    ("PitchTrendingFunction", "pitches/trending", "/api/pitches/trending", {}, False),
    ("PitchGetFunction", "pitches/get", "/api/pitches/{id}", {"id": "0" * 32}, False),
    ("PaymentPlansFunction", "payments/plans", "/api/payments/plans", {}, False),
    ("AuthMeFunction", "auth/me", "/api/auth/me", {}, True),
    ("PitchMyFunction", "pitches/my", "/api/pitches/my", {}, True),
    ("NotificationsListFunction", "notifications/list", "/api/notifications", {}, True),
    ("FollowFollowingFunction", "follows/following", "/api/follows/following", {}, True),
    ("PitchFollowingFeedFunction", "pitches/following", "/api/pitches/following", {}, True),
    ("NdaIncomingRequestsFunction", "ndas/incoming_requests", "/api/ndas/incoming-requests", {}, True),
    ("PaymentCreditsBalanceFunction", "payments/credits_balance", "/api/payments/credits/balance", {}, True),
]

BASELINE = """
import time
t0 = time.perf_counter()
import boto3
boto3.client("dynamodb").get_item(TableName="UsersTable", Key={"id": {"S": "nobody"}})
print(time.perf_counter() - t0, time.process_time())
"""
FIRST_REQUEST = """
import time
t0 = time.perf_counter()
import importlib.util, json
spec = importlib.util.spec_from_file_location("handler_under_test", %(path)r)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
from tests.events import http_event, lambda_context
answer = module.handler(http_event("GET", %(raw)r, path_params=%(params)r or None,
                                   authorizer=%(authorizer)r, route_key=%(route)r), lambda_context())
elapsed, cpu = time.perf_counter() - t0, time.process_time()
assert answer["statusCode"] in (200, 404), answer
print(elapsed, cpu)
"""
# Run once against the fresh server: the template's tables, and a signed-in creator's session.
SETUP = """
import boto3, sys
from local.template import create_tables, load_template
create_tables(boto3.client("dynamodb"), load_template())
from tests.unit.accounts import make_user
print(make_user("creator", credits=0).token)
"""


def _environment(code_dir: Path, endpoint: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(code_dir), str(LAYER), str(ROOT)]),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_ENDPOINT_URL": endpoint,
        "JWT_SECRET": "dev-only-bench-signing-key",
        "POWERTOOLS_SERVICE_NAME": "pitchey-bench",
    }


def _once(script: str, code_dir: Path, endpoint: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=_environment(code_dir, endpoint),
        capture_output=True,
        text=True,
        check=True,
        cwd=code_dir,
    )
    return out.stdout.strip().splitlines()[-1]


def _samples(script: str, code_dir: Path, endpoint: str) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of RUNS fresh processes. CPU is the whole process's (interpreter start-up
    included, a constant in both)."""
    _once(script, code_dir, endpoint)  # warms the byte-code cache
    runs = [_once(script, code_dir, endpoint).split() for _ in range(RUNS)]
    return [(float(wall), float(cpu)) for wall, cpu in runs]


def _medians(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def run() -> list[dict]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        token = _once(SETUP, ROOT, endpoint)
        # Protected routes get the caller from the Lambda authorizer's context, as API Gateway passes it (the
        # authorizer is a function of its own, AuthorizerFunction); the handler still checks the session.
        claims = jwt.decode(token, options={"verify_signature": False})
        authorizer = {"userId": claims["sub"], "role": claims["role"], "sessionId": claims["sid"]}
        authorizer["exp"] = claims["exp"]
        early = _samples(BASELINE, ROOT, endpoint)
        measured = []
        for name, handler, route, params, signed_in in SAMPLE:
            raw = route
            for key, value in params.items():
                raw = raw.replace("{" + key + "}", value)
            code_dir = ROOT / "functions" / handler.split("/")[0]
            script = FIRST_REQUEST % {
                "path": str(ROOT / "functions" / f"{handler}.py"),
                "raw": raw,
                "params": params,
                "authorizer": authorizer if signed_in else None,
                "route": f"GET {route}",
            }
            measured.append((name, _medians(_samples(script, code_dir, endpoint))))
        baseline, baseline_cpu = _medians(early + _samples(BASELINE, ROOT, endpoint))
    finally:
        server.stop()
    rows = [
        {
            "metric": "baseline: import boto3 + dynamodb client + one GetItem",
            "value": baseline,
            "unit": "s",
            "note": f"median of {2 * RUNS} fresh processes (half before, half after the functions)",
        },
        {"metric": "baseline, process CPU time", "value": baseline_cpu, "unit": "s", "note": ""},
    ]
    for name, (seconds, cpu) in measured:
        ratio = seconds / baseline
        verdict = "ok" if ratio <= TARGET_RATIO else f"OVER the {TARGET_RATIO}x target"
        rows.append(
            {"metric": f"{name} first request", "value": ratio, "unit": "x baseline", "note": verdict}
        )
        rows.append(
            {"metric": f"{name} first request, CPU", "value": cpu / baseline_cpu, "unit": "x baseline CPU"}
        )
    return rows


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
