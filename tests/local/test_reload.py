"""Editing a function's code while the runtime runs: the next invocation runs the new code."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from local.testing import RuntimeProcess

FIXTURES = Path(__file__).parent / "fixtures"


def test_code_changes_retire_warm_workers(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(FIXTURES, app, ignore=shutil.ignore_patterns("__pycache__"))
    with RuntimeProcess(template=app / "template.yaml") as runtime:
        runtime.start()
        client = runtime.boto3("lambda")

        def tick() -> object:
            return json.loads(client.invoke(FunctionName="TickFunction", Payload=b"{}")["Payload"].read())

        assert tick() == {"received": {}}
        (app / "functions" / "tick.py").write_text("def handler(event, context):\n    return 'new code'\n")
        deadline = time.monotonic() + 10
        while tick() != "new code":
            assert time.monotonic() < deadline, "the edited handler never ran"
            time.sleep(0.2)
