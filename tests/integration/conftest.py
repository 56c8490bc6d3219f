"""Integration harness: the application served by a real `pitchey-local start` on free ports.

    def test_x(runtime):                      # shared, started once per session (per distinct overrides)
        runtime.client.get("/api/health")     # httpx.Client on runtime.http; also runtime.ws, runtime.aws

Extra template parameters for one module (e.g. short TTLs), either way:

    RUNTIME_OVERRIDES = {"NdaRequestTtlSeconds": "5"}
    pytestmark = pytest.mark.runtime_overrides(NdaRequestTtlSeconds="5")

Modules asking for the same overrides share one runtime. For a private runtime use the factory:

    def test_y(start_runtime):
        rt = start_runtime({"AccessTokenTtlSeconds": "2"})   # stopped at the end of the session
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from local.template import TEMPLATE_PATH
from local.testing import RuntimeProcess

# Rate limits high enough that test traffic from one IP never trips them.
DEFAULT_OVERRIDES = {
    "AuthRateLimitPerMinute": "100000",
    "ApiRateLimitPerMinute": "100000",
    "TrackRateLimitPerMinute": "100000",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "runtime_overrides(**parameters): template parameter overrides for the `runtime` fixture"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def _runtimes() -> Iterator[dict[tuple, RuntimeProcess]]:
    cache: dict[tuple, RuntimeProcess] = {}
    yield cache
    for runtime in cache.values():
        runtime.stop()


def _overrides_for(request: pytest.FixtureRequest) -> dict[str, str]:
    overrides = dict(DEFAULT_OVERRIDES)
    overrides.update(
        {k: str(v) for k, v in (getattr(request.module, "RUNTIME_OVERRIDES", None) or {}).items()}
    )
    marker = request.node.get_closest_marker("runtime_overrides")
    if marker:
        overrides.update({k: str(v) for k, v in marker.kwargs.items()})
    return overrides


@pytest.fixture(scope="module")
def runtime(request: pytest.FixtureRequest, _runtimes: dict[tuple, RuntimeProcess]) -> RuntimeProcess:
    overrides = _overrides_for(request)
    key = tuple(sorted(overrides.items()))
    if key not in _runtimes:
        _runtimes[key] = RuntimeProcess(overrides, TEMPLATE_PATH).start()
    return _runtimes[key]


@pytest.fixture(scope="session")
def start_runtime() -> Iterator[Callable[..., RuntimeProcess]]:
    started: list[RuntimeProcess] = []

    def start(
        overrides: dict[str, str] | None = None, template: Path | str = TEMPLATE_PATH
    ) -> RuntimeProcess:
        runtime = RuntimeProcess({**DEFAULT_OVERRIDES, **(overrides or {})}, template).start()
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        runtime.stop()
