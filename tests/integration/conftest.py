"""Integration harness: the application served by a real `pitchey-local start` on free ports.

    def test_x(runtime):                      # default overrides, started once per session
        runtime.client.get("/api/health")     # httpx.Client on runtime.http; also runtime.ws, runtime.aws

A module that needs other template parameters (e.g. short TTLs) declares them with either

    RUNTIME_OVERRIDES = {"NdaRequestTtlSeconds": "5"}
    pytestmark = pytest.mark.runtime_overrides(NdaRequestTtlSeconds="5")

(modules asking for the same overrides share one runtime), or
calls the session-scoped factory directly:

    def test_y(start_runtime):
        rt = start_runtime({"AccessTokenTtlSeconds": "2"})   # cached per overrides, stopped at session end

Default overrides lift the rate limits so test traffic from one IP never trips them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from local.template import TEMPLATE_PATH
from local.testing import RuntimeProcess

# Rate limits high enough that test traffic from one IP never trips them, and credits enough that paid
# actions (NDA requests, media uploads) are never what a test outside payments runs into.
DEFAULT_OVERRIDES = {
    "AuthRateLimitPerMinute": "100000",
    "ApiRateLimitPerMinute": "100000",
    "TrackRateLimitPerMinute": "100000",
    "StarterCredits": "100000",
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


# Each runtime holds moto, localstripe and a warm worker per function it ran: keeping every module's alive to
# the end of the session ran this 24 GiB machine out of memory. The least recently asked-for one stops first
# (modules run one after another, so it is one no module is using).
MAX_LIVE_RUNTIMES = 3


@pytest.fixture(scope="session")
def start_runtime() -> Iterator[Callable[..., RuntimeProcess]]:
    started: dict[tuple, RuntimeProcess] = {}  # oldest request first

    def start(
        overrides: dict[str, str] | None = None, template: Path | str = TEMPLATE_PATH
    ) -> RuntimeProcess:
        merged = {**DEFAULT_OVERRIDES, **{k: str(v) for k, v in (overrides or {}).items()}}
        key = (str(template), tuple(sorted(merged.items())))
        if key in started:
            started[key] = started.pop(key)  # now the most recently asked for
            return started[key]
        while len(started) >= MAX_LIVE_RUNTIMES:
            started.pop(next(iter(started))).stop()
        # --strict: the project's template must use nothing the runtime does not emulate.
        started[key] = RuntimeProcess(merged, template, extra_args=["--strict"]).start()
        return started[key]

    yield start
    for runtime in started.values():
        runtime.stop()


@pytest.fixture(scope="module")
def runtime(request: pytest.FixtureRequest, start_runtime: Callable[..., RuntimeProcess]) -> RuntimeProcess:
    """The runtime for this module: its RUNTIME_OVERRIDES / runtime_overrides marker applied, shared by
    every module asking for the same overrides (most ask for none and share the default one)."""
    overrides = dict(getattr(request.module, "RUNTIME_OVERRIDES", None) or {})
    marker = request.node.get_closest_marker("runtime_overrides")
    if marker:
        overrides.update(marker.kwargs)
    return start_runtime(overrides)
