"""The load scenario (bench/locustfile.py) against a local runtime started on free ports: BENCH_LOAD_USERS
users (default USERS; docs/performance.md has the counts tried and why this one) for BENCH_LOAD_SECONDS
(default 120) after a discarded warm-up run, spawned at a tenth of the users per second.

Reports the request rate, p50 / p95 / max, failures (any unexpected status, a refused or dropped WebSocket),
the WebSocket frames received, and with BENCH_LOAD_PROFILE=1 where the runtime's time goes: py-spy samples the
runtime and its workers (--subprocesses) for the whole run, and each busy sample is charged to the innermost
frame of a known component (moto, our layer, the gateway, PDF rendering, ...). The locust CSVs and the raw
py-spy profile stay in BENCH_LOAD_OUT (default a temporary directory) for a closer look.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from local.testing import RuntimeProcess

ROOT = Path(__file__).resolve().parent.parent
USERS = int(os.environ.get("BENCH_LOAD_USERS", "32"))
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "120"))
# A discarded run first, at the same user count: every function gets its warm workers (a worker's first
# request is a cold start of seconds on this machine; bench_coldstart* measure those).
WARMUP_SECONDS = int(os.environ.get("BENCH_LOAD_WARMUP_SECONDS", "30"))
PROFILE = os.environ.get("BENCH_LOAD_PROFILE") == "1"
TARGET_P95_MS = 500.0
# Rate limits out of the way (every user comes from one IP), credits for the NDA requests, and bcrypt at its
# minimum cost: registering 1 user a second must not be the thing measured.
OVERRIDES = {
    "AuthRateLimitPerMinute": "100000",
    "ApiRateLimitPerMinute": "100000",
    "TrackRateLimitPerMinute": "100000",
    "StarterCredits": "100000",
    "BcryptRounds": "4",
}
# Where a py-spy sample's time is charged: the innermost frame whose file (as py-spy names it: relative to its
# sys.path entry, e.g. `moto/core/responses.py`) starts with one of these. Frames of the standard library are
# charged to the nearest caller that is one of these.
COMPONENTS = [
    ("moto (the emulated AWS)", ("moto/", "werkzeug_app.py", "antlr4/", "jsonpath_ng/")),
    ("PDF rendering (fpdf2, fontTools, Pillow)", ("fpdf/", "fontTools/", "PIL/")),
    ("bcrypt", ("bcrypt/",)),
    ("boto3 / botocore (the functions' clients)", ("botocore/", "boto3/", "urllib3/", "s3transfer/")),
    ("PynamoDB", ("pynamodb/",)),
    ("pydantic", ("pydantic/", "pydantic_core/")),
    ("Powertools logging", ("aws_lambda_powertools/",)),
    ("our layer and handlers", ("pitchey/", "functions/")),
    ("the local runtime (gateway, pollers, workers)", ("local/",)),
    ("HTTP / WebSocket servers (werkzeug, flask, websockets)", ("werkzeug/", "flask/", "websockets/")),
]
_FILE = re.compile(r"\(([^()]*):\d+\)$")
# py-spy does not tell threads blocked in C from running ones here (a loaded container): a sample whose
# innermost Python function is one of these waits on a lock, a selector or a socket and is counted as idle.
IDLE = frozenset(
    {"wait", "wait_for", "select", "readinto", "recv", "recv_into", "recv_exact", "accept", "sleep", "poll"}
)
IDLE_COMPONENT = "idle (waiting on a lock, selector or socket)"


def _row(metric: str, value: Any, unit: str, note: str = "") -> dict[str, Any]:
    return {"metric": metric, "value": value, "unit": unit, "note": note}


def _aggregate(stats_csv: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    with stats_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    total = next(row for row in rows if row["Name"] == "Aggregated")
    return total, [row for row in rows if row["Name"] != "Aggregated"]


def charge(raw_profile: Path) -> Counter[str]:
    """py-spy's raw (collapsed) output: `frame;frame;...;leaf count` per line, frames `name (file:line)`."""
    charged: Counter[str] = Counter()
    for line in raw_profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        leaf = frames[-1].split(" (")[0].rpartition(".")[2]
        if leaf in IDLE or not _FILE.search(frames[-1]):
            charged[IDLE_COMPONENT] += int(count)
            continue
        component = "other (stdlib, interpreter)"
        for frame in reversed(frames):
            match = _FILE.search(frame)  # py-spy's first frame names the process: no file
            path = match.group(1) if match else ""
            found = next((name for name, marks in COMPONENTS if path.startswith(marks)), None)
            if found:
                component = found
                break
        charged[component] += int(count)
    return charged


def _locust(host: str, seconds: int, csv_prefix: Path) -> list[str]:
    return [
        str(Path(sys.executable).with_name("locust")),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(USERS),
        "--spawn-rate",
        str(max(1, USERS // 10)),
        "--run-time",
        f"{seconds}s",
        "--host",
        host,
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--stop-timeout",
        "10",
    ]


def run() -> list[dict[str, Any]]:
    out = Path(os.environ.get("BENCH_LOAD_OUT") or tempfile.mkdtemp(prefix="pitchey-load-"))
    out.mkdir(parents=True, exist_ok=True)
    frames_file = out / "frames.json"
    with RuntimeProcess(OVERRIDES, extra_args=["--quiet"]) as runtime:
        runtime.start(timeout=60)
        env = {**os.environ, "LOAD_WS_URL": runtime.ws, "LOAD_FRAMES_OUT": str(frames_file)}
        if WARMUP_SECONDS:
            warmup = _locust(runtime.http, WARMUP_SECONDS, out / "warmup")
            subprocess.run(warmup, env={**env, "LOAD_FRAMES_OUT": ""}, capture_output=True, cwd=ROOT)
        profiler = None
        if PROFILE:
            profiler = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("py-spy")),
                    "record",
                    "--pid",
                    str(runtime.process.pid),
                    "--subprocesses",
                    "--rate",
                    "50",
                    "--format",
                    "raw",
                    "--output",
                    str(out / "profile.txt"),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        command = _locust(runtime.http, SECONDS, out / "load")
        result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
        (out / "locust.log").write_text(result.stdout + result.stderr)
        if profiler is not None:
            profiler.send_signal(2)  # SIGINT: py-spy writes the profile and exits
            profiler.wait(timeout=60)
    total, per_name = _aggregate(out / "load_stats.csv")
    frames = json.loads(frames_file.read_text()) if frames_file.exists() else {}
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    p95 = float(total["95%"])
    verdict = (
        "ok" if p95 < TARGET_P95_MS and failures == 0 else f"target p95 < {TARGET_P95_MS:.0f} ms, 0 failures"
    )
    note = f"{USERS} users (1 creator : 3 investors), {SECONDS} s, each holding a WebSocket"
    rows = [
        _row("requests/s", float(total["Requests/s"]), "1/s", note),
        _row("p50", float(total["50%"]), "ms", ""),
        _row("p95", p95, "ms", verdict),
        _row("max", float(total["Max Response Time"]), "ms", ""),
        _row("failures", failures, "", f"of {requests} requests"),
        _row(
            "WebSocket frames received",
            frames.get("received", 0),
            "",
            f"dropped sockets: {frames.get('dropped', 0)}",
        ),
    ]
    for row in sorted(per_name, key=lambda r: -float(r["95%"]))[:8]:
        rows.append(
            _row(
                f"p95 {row['Type']} {row['Name']}",
                float(row["95%"]),
                "ms",
                f"{row['Request Count']} requests, p50 {row['50%']} ms, {row['Failure Count']} failures",
            )
        )
    profile = out / "profile.txt"
    if PROFILE and profile.exists():
        charged = charge(profile)
        idle = charged.pop(IDLE_COMPONENT, 0)
        samples = sum(charged.values()) or 1
        note = f"of {samples} busy samples ({idle} idle ones left out)"
        for component, count in charged.most_common():
            rows.append(_row(f"runtime busy time in {component}", 100.0 * count / samples, "%", note))
    rows.append(_row("output", str(out), "", "locust CSVs, locust.log, profile.txt"))
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
