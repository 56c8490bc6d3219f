"""Cold init of every function: a fresh process imports the handler module and runs its module-level setup.

Reported as a ratio to a baseline measured in the same run: `import boto3; boto3.client("dynamodb")`.
Target: every function <= 1.3x. Each figure is the median of several fresh processes, after one warm-up
run so that byte-code compilation is not counted (Lambda's package is not recompiled per cold start).
Both sides run on the import path of a deployed function (bench.lambda_site), not the dev virtualenv.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench import lambda_site
from local.template import load_template, resources_of_type

ROOT, LAYER = lambda_site.ROOT, lambda_site.LAYER
RUNS = int(os.environ.get("BENCH_COLDSTART_RUNS", "5"))
TARGET_RATIO = 1.3

BASELINE = "import boto3\nboto3.client('dynamodb')"
MEASURE = """
import time, sys
t0 = time.perf_counter()
{body}
print(time.perf_counter() - t0)
"""
IMPORT_HANDLER = """
import importlib.util
spec = importlib.util.spec_from_file_location("handler_under_test", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert callable(module.{attr})
"""


def environment(pythonpath: str) -> dict[str, str]:
    """A fresh process's whole environment: `pythonpath` alone, a region, dummy credentials."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": pythonpath,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "JWT_SECRET": "dev-only-bench-signing-key",
        "POWERTOOLS_SERVICE_NAME": "pitchey-bench",
    }
    return env


def _samples(body: str, code_dir: Path, pythonpath: str, runs: int = RUNS) -> list[float]:
    """`body`'s time in fresh processes without site-packages (`-S`), on `pythonpath` alone."""
    script = MEASURE.format(body=body)
    samples = []
    for attempt in range(runs + 1):
        out = subprocess.run(
            [sys.executable, "-S", "-c", script],
            env=environment(pythonpath),
            capture_output=True,
            text=True,
            check=True,
            cwd=code_dir,
        )
        if attempt:  # the first run only warms the byte-code cache
            samples.append(float(out.stdout.strip().splitlines()[-1]))
    return samples


def _time(body: str, code_dir: Path, pythonpath: str) -> float:
    return statistics.median(_samples(body, code_dir, pythonpath))


def functions() -> list[tuple[str, Path, str, str]]:
    template = load_template()
    found = []
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        props = resource["Properties"]
        module, attr = props["Handler"].rsplit(".", 1)
        code_dir = ROOT / props["CodeUri"]
        found.append((logical_id, code_dir, str(code_dir / f"{module}.py"), attr))
    return sorted(found)


def run() -> list[dict]:
    # The baseline is sampled twice as often, half before and half after the functions, so one slow moment
    # of a busy machine cannot shift every ratio.
    sdk_only = lambda_site.pythonpath(None)
    early = _samples(BASELINE, ROOT, sdk_only)
    measured = []
    for logical_id, code_dir, path, attr in functions():
        seconds = None
        if Path(path).exists():
            body = IMPORT_HANDLER.format(path=path, attr=attr)
            seconds = _time(body, code_dir, lambda_site.function_pythonpath(logical_id))
        measured.append((logical_id, path, seconds))
    baseline = statistics.median(early + _samples(BASELINE, ROOT, sdk_only))
    rows = [
        {
            "metric": "baseline: import boto3 + dynamodb client",
            "value": baseline,
            "unit": "s",
            "note": f"median of {2 * RUNS} fresh processes (half before, half after the functions)",
        }
    ]
    for logical_id, path, seconds in measured:
        if seconds is None:
            rows.append({"metric": logical_id, "value": "", "unit": "", "note": f"ERROR: missing {path}"})
            continue
        ratio = seconds / baseline
        verdict = "ok" if ratio <= TARGET_RATIO else f"OVER the {TARGET_RATIO}x target"
        rows.append({"metric": logical_id, "value": ratio, "unit": "x baseline", "note": verdict})
    return rows
