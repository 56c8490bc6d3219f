"""pitchey.core.coldstart: what a function's init made is frozen out of the garbage collector's scans once,
when the handler is defined."""

from __future__ import annotations

import gc

import pytest

from pitchey.core import coldstart
from pitchey.core.http import api, ok
from pitchey.realtime.ws import ws_route


@pytest.fixture
def fresh_process():
    """As a new execution environment: nothing frozen yet, `end_init` not run."""
    gc.unfreeze()
    coldstart.end_init.cache_clear()
    yield
    gc.unfreeze()
    coldstart.end_init.cache_clear()


@pytest.mark.parametrize(
    "define", [lambda: api()(lambda request: ok({})), lambda: ws_route(lambda message: None)]
)
def test_defining_the_handler_freezes_what_init_made_once(fresh_process, define):
    assert gc.get_freeze_count() == 0
    define()
    frozen = gc.get_freeze_count()
    assert frozen > 1000  # the modules, classes and functions imported so far
    made_since = [[] for _ in range(10)]  # noqa: F841 (tracked objects, kept alive)
    define()  # a second handler in the same process (tests, the local runtime's zygote) does not freeze again
    assert gc.get_freeze_count() == frozen
