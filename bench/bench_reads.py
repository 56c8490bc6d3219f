"""Warm latency of every read endpoint (each function with a GET route in the template) through the local
runtime vs the same handler called in-process on the runtime's own moto, p50 of BENCH_READS_SAMPLES warm
requests each. Target: HTTP / in-process <= 1.5x at p50 for every endpoint; a handler that answers in under
1 ms in-process is held to at most 1.5 ms over in-process instead (the runtime's cost per request).

The runtime is started with `--seed` (the demo marketplace of `make dev`), so the path ids are real: the demo
creator's pitch, their NDA, the standard NDA template, the creator's own user id; routes whose ids the
seed has none of (an investment, a project, ...) answer 404, and their row says so. The caller is the demo
user the route is meant for (the admin for /api/admin, the production company for /api/production, the
investor for investor routes, else the creator). In-process, each handler runs in a fresh interpreter of
its own with the environment the runtime gives its worker (read back with Lambda's GetFunctionConfiguration)
and, for a protected route, the authorizer context API Gateway would pass; over HTTP the same request goes
through the gateway, the Lambda authorizer and the worker pool.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import httpx
import jwt

from bench.bench_coldstart_request import get_routes
from bench.bench_runtime import percentile
from local.testing import ROOT, RuntimeProcess

SAMPLES = int(os.environ.get("BENCH_READS_SAMPLES", "30"))
WARMUP = 3
TARGET_RATIO = 1.5
# A handler that answers in under a millisecond in-process is held to the runtime's per-request cost instead
# (HTTP parsing, two process crossings, the response): 1.5x of 0.1 ms is no budget (docs/decisions.md).
SUB_MS_HANDLER_MS = 1.0
FLOOR_BUDGET_MS = 1.5
BROWSER_HEADERS = {"accept-encoding": "gzip, deflate"}  # both sides, as the web app's browser sends it
OVERRIDES = {"AuthRateLimitPerMinute": "100000", "ApiRateLimitPerMinute": "100000", "BcryptRounds": "4"}
LAYER = ROOT / "layers" / "pitchey" / "python"
FONTS = ROOT / "layers" / "fonts" / "python"

# One warm call per line read on stdin, its time on stdout (after "@@": the handler logs on stdout too).
IN_PROCESS = """
import importlib.util, json, sys, time
spec = importlib.util.spec_from_file_location("handler_under_test", %(path)r)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
from tests.events import http_event, lambda_context
def call():
    event = http_event("GET", %(raw)r, path_params=%(params)r or None, query=%(query)r or None,
                       authorizer=%(authorizer)r, route_key=%(route)r, headers=%(headers)r)
    return module.handler(event, lambda_context())["statusCode"]
for line in sys.stdin:
    started = time.perf_counter()
    status = call()
    print("@@" + json.dumps({"status": status, "ms": (time.perf_counter() - started) * 1000}), flush=True)
"""


def _verdict(http_ms: float, in_process_ms: float) -> str:
    if in_process_ms < SUB_MS_HANDLER_MS:
        over = http_ms - in_process_ms
        if over <= FLOOR_BUDGET_MS:
            return f"ok (a sub-ms handler: {over:.1f} ms over in-process, budget {FLOOR_BUDGET_MS} ms)"
        return f"OVER (a sub-ms handler: {over:.1f} ms over in-process, budget {FLOOR_BUDGET_MS} ms)"
    return "ok" if http_ms / in_process_ms <= TARGET_RATIO else f"OVER the {TARGET_RATIO}x target"


def _caller(route: str) -> str:
    if route.startswith("/api/admin"):
        return "admin"
    if route.startswith("/api/production"):
        return "production"
    if route.startswith(("/api/investments", "/api/ndas/outgoing")):
        return "investor"
    return "creator"


def _login(client: httpx.Client, portal: str, email: str) -> str:
    from local.seed import DEMO_PASSWORD

    answer = client.post(f"/api/auth/{portal}/login", json={"email": email, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["accessToken"]


def _wait_for_seed(runtime: RuntimeProcess) -> None:
    deadline = time.monotonic() + 90
    while "investor likes" not in runtime.logs():  # the seed's last step (local/seed.py)
        if time.monotonic() > deadline:
            raise RuntimeError("the demo marketplace was not seeded in 90 s")
        time.sleep(0.2)


def _ids(client: httpx.Client, tokens: dict[str, str]) -> dict[str, str]:
    """Real ids from the seeded marketplace, by the route prefix they fill."""

    def get(path: str, who: str) -> Any:
        answer = client.get(path, headers={"authorization": f"Bearer {tokens[who]}"})
        assert answer.status_code == 200, (path, answer.text)
        return answer.json()["data"]

    pitches = [p for p in get("/api/pitches/my", "creator") if p["status"] == "published"]
    ndas = get("/api/ndas/incoming-requests", "creator")
    return {
        "/api/pitches/": pitches[0]["id"],
        "/api/users/": get("/api/auth/me", "creator")["id"],
        "/api/ndas/templates/": "std-confidentiality",
        "/api/ndas/": ndas[0]["id"],
    }


def _fill(route: str, ids: dict[str, str]) -> tuple[str, dict[str, str]]:
    value = next((v for prefix, v in ids.items() if route.startswith(prefix)), "0" * 32)
    params = {}
    raw = route
    while "{" in raw:
        name = raw[raw.index("{") + 1 : raw.index("}")]
        params[name] = value
        raw = raw.replace("{" + name + "}", value)
    return raw, params


def _in_process(runtime: RuntimeProcess, function: str, handler: str, request: dict[str, Any]) -> Any:
    """The handler in a fresh interpreter with its worker's environment, waiting for calls on stdin."""
    config = runtime.boto3("lambda").get_function_configuration(FunctionName=function)
    from local.functions import FAKE_CREDENTIALS

    code_dir = ROOT / "functions" / handler.rsplit("/", 1)[0]
    env = {
        "PATH": os.environ.get("PATH", ""),
        **config.get("Environment", {}).get("Variables", {}),
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": runtime.aws,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": os.pathsep.join([str(code_dir), str(LAYER), str(FONTS), str(ROOT)]),
    }  # the worker's log level too: the handler logs in-process as much as in its worker
    script = IN_PROCESS % {"path": str(ROOT / "functions" / f"{handler}.py"), **request}
    # stderr to a file: a pipe nobody reads could fill and block the handler (closed with the process).
    errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        env=env,
        cwd=code_dir,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    process.error_log = errors  # type: ignore[attr-defined]
    return process


def _call_in_process(process: Any) -> tuple[int, float]:
    process.stdin.write("\n")
    process.stdin.flush()
    for line in process.stdout:
        if line.startswith("@@"):
            answer = json.loads(line[2:])
            return answer["status"], answer["ms"]
    process.wait()
    process.error_log.seek(0)
    raise RuntimeError((process.error_log.read().strip().splitlines() or ["the handler process exited"])[-1])


def _call_over_http(connection: http.client.HTTPConnection, raw: str, token: str | None) -> tuple[int, float]:
    headers = {**BROWSER_HEADERS, "authorization": f"Bearer {token}"} if token else BROWSER_HEADERS
    started = time.perf_counter()
    connection.request("GET", raw, headers=headers)
    answer = connection.getresponse()
    answer.read()
    return answer.status, (time.perf_counter() - started) * 1000


def _measure(connection: Any, process: Any, raw: str, token: str | None) -> dict[str, Any]:
    """Alternate one request over HTTP with one in-process call, so both see the same machine (the seeded
    runtime's schedules run beside the bench). HTTP goes over one keep-alive connection of the standard
    library's client: httpx spends ~0.8 ms of its own per request, which is neither the runtime's nor the
    handler's."""
    over_http, direct = [], []
    for sample in range(WARMUP + SAMPLES):
        status, http_ms = _call_over_http(connection, raw, token)
        direct_status, direct_ms = _call_in_process(process)
        if sample >= WARMUP:
            over_http.append(http_ms)
            direct.append(direct_ms)
    return {
        "status": status,
        "direct_status": direct_status,
        "http_p50": percentile(over_http, 0.5),
        "p50": percentile(direct, 0.5),
    }


def run() -> list[dict[str, Any]]:
    from local.seed import DEMO_USERS

    rows: list[dict[str, Any]] = []
    ratios = []
    with RuntimeProcess(OVERRIDES, extra_args=["--seed", "--quiet"]) as runtime:
        runtime.start(timeout=60)
        _wait_for_seed(runtime)
        client = runtime.client
        tokens = {}
        for user in DEMO_USERS:  # the admin signs in on the creator portal (admin is a flag, not a portal)
            tokens[user["email"].split("@")[0]] = _login(client, user["portal"], user["email"])
        ids = _ids(client, tokens)
        connection = http.client.HTTPConnection("127.0.0.1", runtime.port, timeout=30)
        for function, handler, route, _, signed_in in get_routes():
            raw, params = _fill(route, ids)
            who = _caller(route)
            token = tokens[who] if signed_in else None
            authorizer = None
            if token:
                claims = jwt.decode(token, options={"verify_signature": False})
                authorizer = {
                    k: claims[c] for k, c in (("userId", "sub"), ("role", "role"), ("sessionId", "sid"))
                }
                authorizer["exp"] = claims["exp"]
            request = {
                "raw": raw,
                "params": params,
                "query": None,
                "authorizer": authorizer,
                "route": f"GET {route}",
                "headers": BROWSER_HEADERS,
            }
            process = _in_process(runtime, function, handler, request)
            try:
                measured = _measure(connection, process, raw, token)
            except RuntimeError as error:
                rows.append({"metric": f"GET {route}", "value": "", "unit": "", "note": f"FAILED {error}"})
                continue
            finally:
                process.kill()
                process.wait()
            status, http_p50, direct = measured["status"], measured["http_p50"], measured
            ratio = http_p50 / direct["p50"]
            ratios.append(ratio)
            verdict = _verdict(http_p50, direct["p50"])
            caller = who if token else "visitor"
            note = f"{http_p50:.1f} / {direct['p50']:.1f} ms, {status} as {caller}; {verdict}"
            if status != direct["direct_status"]:
                note += f" (in-process answered {direct['direct_status']})"
            rows.append({"metric": f"GET {route}", "value": ratio, "unit": "x in-process p50", "note": note})
    rows.insert(
        0,
        {
            "metric": "read endpoints, HTTP / in-process p50: median, max",
            "value": statistics.median(ratios) if ratios else "",
            "unit": "x",
            "note": f"max {max(ratios):.2f}x over {len(ratios)} endpoints, {SAMPLES} warm requests each"
            if ratios
            else "none measured",
        },
    )
    return rows


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
