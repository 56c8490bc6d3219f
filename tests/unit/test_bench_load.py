"""The load scenario is a bench (make bench), not a test: here only that it loads, and the profile summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.bench_load import IDLE_COMPONENT, charge

ROOT = Path(__file__).resolve().parents[2]


def test_the_locustfile_loads_with_its_user_classes():
    # In a child interpreter: importing locust monkey-patches the process for gevent.
    code = (
        "import runpy\n"
        "names = runpy.run_path('bench/locustfile.py')\n"
        "print(sorted(n for n, v in names.items() if isinstance(v, type) and getattr(v, 'tasks', None)"
        " and not v.__dict__.get('abstract')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "['Creator', 'Investor']"


def test_profile_samples_are_charged_to_the_innermost_known_component(tmp_path):
    raw = tmp_path / "profile.txt"
    raw.write_text(
        'process 1:"python -m local";run (local/gateway.py:10);handle (functions/pitches/get.py:5);'
        "query (pynamodb/models.py:1);_do (moto/core/responses.py:9) 30\n"
        'process 1:"python -m local";run (local/gateway.py:10);view (pitchey/x.py:3) 10\n'
        'process 1:"python -m local";run (local/gateway.py:10);dumps (json/__init__.py:3) 5\n'
        'process 1:"python -m local";serve (local/zygote.py:9);Event.wait (threading.py:4) 7\n'
        "not a sample line\n"
    )
    charged = charge(raw)
    assert charged == {
        "moto (the emulated AWS)": 30,
        "our layer and handlers": 10,
        "the local runtime (gateway, pollers, workers)": 5,  # json is charged to its caller
        IDLE_COMPONENT: 7,
    }
