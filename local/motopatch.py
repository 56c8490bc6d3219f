"""Make moto's DynamoDB apply each request atomically, as DynamoDB does.

moto's backend is not thread-safe: a TransactWriteItems that is cancelled restores a deepcopy snapshot of
the tables it touched, taken before it began, which can erase or resurrect writes that other threads made
meanwhile (and the deepcopy itself can fail with "dictionary changed size"). DynamoDB serializes each
request against the items it touches, so we serialize whole requests: the races *between requests*, which
the application must handle with conditions and transactions, stay exactly as they are.

Used by the local runtime's moto server process and by the unit tests' in-process moto.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.RLock()
_applied = False


def serialize_dynamodb_requests() -> None:
    global _applied
    if _applied:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _lock:
            return original(self)

    DynamoHandler.call_action = call_action
    _applied = True
