"""Test doubles for the trigger components: a runtime whose functions are Python callables.

The real runtime runs each function in a warm worker process; these fakes keep the component tests fast
and independent of it, with the same `functions.invoke(logical_id, event, timeout)` contract.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any


@dataclass
class FakeResult:
    payload: Any = None
    error: dict[str, Any] | None = None
    logs: str = ""
    duration_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "payload": self.payload,
            "error": self.error,
            "logs": self.logs,
            "durationMs": self.duration_ms,
        }


class HandlerError(Exception):
    """Raise from a fake handler to fail the invocation with this errorType/errorMessage."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass
class FakeFunctions:
    handlers: dict[str, Callable[[dict[str, Any]], Any]]
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def invoke(self, logical_id: str, event: dict[str, Any], timeout: float | None = None) -> FakeResult:
        with self._lock:
            self.calls.append((logical_id, event))
        started = time.monotonic()
        try:
            payload = self.handlers[logical_id](event)
        except HandlerError as error:
            return FakeResult(
                error={"errorType": error.error_type, "errorMessage": str(error), "stackTrace": []}
            )
        except Exception as error:
            return FakeResult(
                error={
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_exception(error),
                }
            )
        return FakeResult(payload=payload, duration_ms=(time.monotonic() - started) * 1000)

    def events_of(self, logical_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [event for name, event in self.calls if name == logical_id]


def fake_runtime(handlers: dict[str, Callable[[dict[str, Any]], Any]], **extra: Any) -> SimpleNamespace:
    model = SimpleNamespace(resolver=SimpleNamespace(region="us-east-1", account="123456789012"))
    return SimpleNamespace(model=model, functions=FakeFunctions(handlers), **extra)


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
