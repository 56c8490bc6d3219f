"""Cold start as a user feels it: a fresh process imports a handler and serves its first request against a
local DynamoDB endpoint (moto server), vs a fresh process that imports boto3, creates the DynamoDB client
and makes one call (GetItem) against the same endpoint. Measured in the same run, reported as a ratio.

Every function with a GET route of the template (BENCH_COLDSTART_FUNCTIONS=sample: the 12 below, a few
minutes faster; or a comma-separated list of function names), the median of BENCH_COLDSTART_RUNS fresh
processes each after one warm-up run (byte code compiled once, as in a deployed package). Target: every
function <= 1.3x. Against empty tables most answer 404 or an empty list; a creator calling an investor's
route gets 403; what counts is the first request's imports and client set-up, and that it is no 5xx.
Signed-in requests carry the Lambda authorizer's context, as API Gateway passes it to protected routes (the
authorizer, which decodes the token, is a function of its own).

Each function's processes alternate with baseline processes (one each, RUNS times) and its ratio is to the
median of those: a ratio to a baseline measured beside it, so the machine's drift over the minutes the run
takes (one function on a quiet machine, the next under someone's test suite) moves both sides alike.

Two ratios: wall time (what a user waits, moved by whatever else runs on the machine) and the process's CPU
time (imports, client set-up, serialisation: what the code costs, which a loaded machine does not move as
much; it leaves out the waits on the endpoint, the same few milliseconds per call in both).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

import jwt

from bench import bench_coldstart, lambda_site
from bench.bench_coldstart import LAYER, ROOT, TARGET_RATIO
from tests.events import http_event

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
# The event is built here (tests.events) and handed over as JSON: Lambda's runtime passes it ready-made.
FIRST_REQUEST = """
import time
t0 = time.perf_counter()
import importlib.util, json
spec = importlib.util.spec_from_file_location("handler_under_test", %(path)r)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "bench", 256, "bench-request"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    def get_remaining_time_in_millis(self):
        return 10_000
answer = module.handler(json.loads(%(event)r), Context())
elapsed, cpu = time.perf_counter() - t0, time.process_time()
assert answer["statusCode"] < 500, answer
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


def get_routes() -> list[tuple[str, str, str, dict[str, str], bool]]:
    """SAMPLE's rows for every function of the template with a GET route (its first one)."""
    from local.template import resources_of_type

    rows = []
    for name, resource in resources_of_type(lambda_site.template(), "AWS::Serverless::Function").items():
        props = resource["Properties"]
        for event in (props.get("Events") or {}).values():
            ep = event.get("Properties", {})
            if event["Type"] != "HttpApi" or ep.get("Method", "").upper() != "GET":
                continue
            code = props["CodeUri"].removeprefix("functions/").rstrip("/")
            handler = f"{code}/{props['Handler'].split('.')[0]}"
            params = {key: "0" * 32 for key in re.findall(r"\{(\w+)\}", ep["Path"])}
            public = (ep.get("Auth") or {}).get("Authorizer") == "NONE"
            rows.append((name, handler, ep["Path"], params, not public))
            break
    return rows


def _environment(endpoint: str, pythonpath: str) -> dict[str, str]:
    """bench coldstart's environment, with the local AWS endpoint."""
    return {**bench_coldstart.environment(pythonpath), "AWS_ENDPOINT_URL": endpoint}


def own_environment(function: str) -> dict[str, str]:
    """The function's own Environment Variables, a `!Ref` resolved to the logical id (the local runtime's
    name for tables and buckets); anything else that is not a plain string is left out."""
    props = lambda_site.template()["Resources"][function]["Properties"]
    variables = props.get("Environment", {}).get("Variables", {})
    resolved = {k: v["Ref"] if isinstance(v, dict) and "Ref" in v else v for k, v in variables.items()}
    return {k: v for k, v in resolved.items() if isinstance(v, str)}


def _once(script: str, cwd: Path, env: dict[str, str], *, deployed: bool = True) -> str:
    """Runs `script` in a fresh process. deployed: without site-packages (`-S`), on `env`'s PYTHONPATH
    alone, as a deployed function (bench.lambda_site); otherwise with the project's virtualenv."""
    isolation = ["-S"] if deployed else []
    out = subprocess.run(
        [sys.executable, *isolation, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
    )
    return out.stdout.strip().splitlines()[-1]


def _sample(script: str, cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one fresh process. CPU is the whole process's (interpreter start-up included,
    a constant in both)."""
    wall, cpu = _once(script, cwd, env).split()
    return float(wall), float(cpu)


def _paired_samples(
    script: str, cwd: Path, env: dict[str, str], baseline_env: dict[str, str]
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """RUNS samples of the function, each after a baseline sample: (the function's, the baseline's)."""
    _once(script, cwd, env)  # warms the byte-code cache
    function, baseline = [], []
    for _ in range(RUNS):
        baseline.append(_sample(BASELINE, ROOT, baseline_env))
        function.append(_sample(script, cwd, env))
    return function, baseline


def _medians(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def run() -> list[dict]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        setup_env = _environment(endpoint, os.pathsep.join([str(ROOT), str(LAYER)]))
        token = _once(SETUP, ROOT, setup_env, deployed=False)
        # Protected routes get the caller from the Lambda authorizer's context, as API Gateway passes it (the
        # authorizer is a function of its own, AuthorizerFunction); the handler still checks the session.
        claims = jwt.decode(token, options={"verify_signature": False})
        authorizer = {"userId": claims["sub"], "role": claims["role"], "sessionId": claims["sid"]}
        authorizer["exp"] = claims["exp"]
        baseline_env = _environment(endpoint, lambda_site.pythonpath(None))
        _once(BASELINE, ROOT, baseline_env)  # warms the byte-code cache
        measured, all_baseline = [], []
        which = os.environ.get("BENCH_COLDSTART_FUNCTIONS", "all")  # all, sample, or Name,Name,...
        chosen = SAMPLE if which == "sample" else get_routes()
        if which not in ("all", "sample"):
            chosen = [row for row in chosen if row[0] in which.split(",")]
        for name, handler, route, params, signed_in in chosen:
            raw = route
            for key, value in params.items():
                raw = raw.replace("{" + key + "}", value)
            code_dir = ROOT / "functions" / handler.rsplit("/", 1)[0]
            event = http_event(
                "GET",
                raw,
                path_params=params or None,
                authorizer=authorizer if signed_in else None,
                route_key=f"GET {route}",
            )
            path = ROOT / "functions" / f"{handler}.py"
            script = FIRST_REQUEST % {"path": str(path), "event": json.dumps(event)}
            env = {**_environment(endpoint, lambda_site.function_pythonpath(name)), **own_environment(name)}
            try:
                samples, beside = _paired_samples(script, code_dir, env, baseline_env)
                all_baseline += beside
                measured.append((name, (*_medians(samples), *_medians(beside))))
            except subprocess.CalledProcessError as error:  # reported as this function's row, not the run's
                measured.append((name, (error.stderr or "").strip().splitlines()[-1:] or ["failed"]))
        baseline, baseline_cpu = _medians(all_baseline)
    finally:
        server.stop()
    rows = [
        {
            "metric": "baseline: import boto3 + dynamodb client + one GetItem",
            "value": baseline,
            "unit": "s",
            "note": f"median of all {len(all_baseline)} baseline processes (each function's own: its row)",
        },
        {"metric": "baseline, process CPU time", "value": baseline_cpu, "unit": "s", "note": ""},
    ]
    for name, result in measured:
        if isinstance(result, list):
            failed = {
                "metric": f"{name} first request",
                "value": "",
                "unit": "",
                "note": f"FAILED {result[0]}",
            }
            rows.append(failed)
            continue
        seconds, cpu, beside, beside_cpu = result
        ratio = seconds / beside
        verdict = "ok" if ratio <= TARGET_RATIO else f"OVER the {TARGET_RATIO}x target"
        note = f"{verdict} ({seconds * 1000:.0f} ms; its baseline {beside * 1000:.0f} ms)"
        rows.append({"metric": f"{name} first request", "value": ratio, "unit": "x baseline", "note": note})
        rows.append(
            {"metric": f"{name} first request, CPU", "value": cpu / beside_cpu, "unit": "x baseline CPU"}
        )
    return rows


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
