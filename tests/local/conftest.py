"""The fixture application (tests/local/fixtures/template.yaml) served by a real `pitchey-local start`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local.testing import RuntimeProcess

FIXTURE_TEMPLATE = Path(__file__).parent / "fixtures" / "template.yaml"


@pytest.fixture(scope="session")
def fixture_runtime() -> Iterator[RuntimeProcess]:
    runtime = RuntimeProcess({"Greeting": "hi there"}, template=FIXTURE_TEMPLATE).start()
    try:
        yield runtime
    finally:
        runtime.stop()
