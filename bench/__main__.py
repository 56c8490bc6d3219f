"""Run the benchmarks: every `bench/bench_<name>.py` exposing `run() -> list[dict]`.

    python -m bench              # all of them
    python -m bench runtime      # only bench_runtime.py

Each result row is a dict with at least `bench`, `metric`, `value` and `unit` (optional `note`). The rows
are printed as a table and written to bench/results/latest.json.

Each bench runs in an interpreter of its own. In one process, what a bench leaves behind (environment
variables such as AWS_ENDPOINT_URL, clients cached at module level, an in-process moto) reached the next:
the browse bench's handlers then called real AWS with a client the analytics bench had made.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    return sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))


def table(rows: list[dict[str, Any]]) -> str:
    columns = ["bench", "metric", "value", "unit", "note"]
    cells = [[_fmt(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def run_isolated(module: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """`module`'s run() in a fresh interpreter (`python -m bench --rows-to FILE MODULE`): its rows. Its output
    and traceback go to this process's stdout and stderr; a bench that fails raises RuntimeError."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "rows.json"
        command = [sys.executable, "-m", "bench", "--rows-to", str(out), module]
        done = subprocess.run(command, cwd=HERE.parent, env=env, check=False)
        if done.returncode != 0 or not out.is_file():
            raise RuntimeError(f"{module} exited with {done.returncode} (its traceback is above)")
        return json.loads(out.read_text())


def _child(out: str, module: str) -> int:
    """The fresh interpreter's side of run_isolated."""
    rows = importlib.import_module(module).run()
    Path(out).write_text(json.dumps(rows))
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--rows-to"]:
        return _child(argv[1], argv[2])
    names = argv or discover()
    unknown = sorted(set(names) - set(discover()))
    if unknown:
        print(f"unknown bench(es): {', '.join(unknown)}; available: {', '.join(discover())}", file=sys.stderr)
        return 2
    rows: list[dict[str, Any]] = []
    failures = 0
    for name in names:
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            results = run_isolated(f"bench.bench_{name}")
        except Exception as error:  # one broken bench must not hide the others' results
            failures += 1
            results = [
                {"metric": "error", "value": "", "unit": "", "note": f"{type(error).__name__}: {error}"}
            ]
        for row in results:
            rows.append({"bench": name, **row})
        print(f"  {name} took {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(table(rows))
    out = HERE / "results" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "machine": {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                },
                "results": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwritten to {out.relative_to(HERE.parent)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
