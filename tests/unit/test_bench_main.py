"""`python -m bench` runs each bench in an interpreter of its own, so one cannot leak state into the next."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.__main__ import run_isolated

LEAKS = """
import os
def run():
    os.environ["BENCH_LEAK"] = "set by the first bench"
    return [{"metric": "first", "value": 1.0, "unit": "s"}]
"""
READS = """
import os
def run():
    return [{"metric": "leak", "value": os.environ.get("BENCH_LEAK", "none"), "unit": ""}]
"""
FAILS = """
def run():
    raise ValueError("broken bench")
"""


@pytest.fixture
def benches(tmp_path: Path) -> dict[str, str]:
    for name, code in (("fake_leaks", LEAKS), ("fake_reads", READS), ("fake_fails", FAILS)):
        (tmp_path / f"{name}.py").write_text(code)
    root = Path(__file__).resolve().parents[2]
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(root)])}


def test_rows_come_back_and_state_does_not_carry_over(benches: dict[str, str]) -> None:
    assert run_isolated("fake_leaks", env=benches) == [{"metric": "first", "value": 1.0, "unit": "s"}]
    assert run_isolated("fake_reads", env=benches)[0]["value"] == "none"


def test_a_failing_bench_is_an_error_not_rows(benches: dict[str, str]) -> None:
    with pytest.raises(RuntimeError, match="fake_fails exited with 1"):
        run_isolated("fake_fails", env=benches)
