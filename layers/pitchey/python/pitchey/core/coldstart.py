"""The end of a function's init: its handler being defined (pitchey.core.http's `api`, realtime's `ws_route`).

Everything made until then (modules, classes, functions, table models) lives as long as the execution
environment. Python's garbage collector does not know that: until told, each full collection walks all of
it again, and the first one fell in the first request (~20 ms of a signed-in read's cold start, `bench
coldstart_request`). `end_init` moves it into the collector's permanent generation (`gc.freeze`), once per
process. Reference counting still frees any of it that is dropped; only a reference cycle made during init
and dropped later is never collected, which is a few objects, once.
"""

from __future__ import annotations

import functools
import gc


@functools.cache
def end_init() -> None:
    gc.freeze()
