"""Helpers for the notifications / realtime integration tests and benches: notifications written with the
real `notify()` against the runtime's DynamoDB, WebSocket clients. Accounts: tests.integration.accounts."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from websockets.sync.client import ClientConnection, connect

from local.testing import RuntimeProcess
from pitchey.notifications.models import Notification


@contextlib.contextmanager
def models_on(runtime: RuntimeProcess) -> Iterator[None]:
    """Point the Notification model at the runtime's DynamoDB for the block (then back), so a test calls
    the very `notify()` other contexts call, and the runtime's stream triggers do the rest."""
    previous = Notification.Meta.host
    Notification.Meta.host = runtime.aws
    Notification._connection = None
    try:
        yield
    finally:
        Notification.Meta.host = previous
        Notification._connection = None


def notify_on(runtime: RuntimeProcess, user_id: str, type_: str, title: str, body: str, data: Any = None):
    from pitchey.notifications.service import notify

    with models_on(runtime):
        return notify(user_id, type_, title, body, data)


def ws_connect(runtime: RuntimeProcess, token: str | None) -> ClientConnection:
    query = f"?token={token}" if token is not None else ""
    return connect(f"{runtime.ws}/{query}", open_timeout=10)


def receive(ws: ClientConnection, want: Callable[[dict], bool], timeout: float = 5.0) -> dict:
    """The next frame satisfying `want` (others are skipped), or TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no matching frame")
        frame = json.loads(ws.recv(timeout=left))
        if want(frame):
            return frame


def request_reply(ws: ClientConnection, message: dict, timeout: float = 5.0) -> dict:
    ws.send(json.dumps(message))
    return json.loads(ws.recv(timeout=timeout))


def eventually(check: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05) -> Any:
    """Polls `check` until it returns something truthy; returns it (AssertionError on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
