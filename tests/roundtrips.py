"""DynamoDB round trips made while a handler runs, for the unit tests' budgets and Scan guard.

Counted in botocore's `BaseClient._make_api_call`, where every operation passes: a `before-call` hook on a
session would miss the clients PynamoDB and pitchey.core already built (a client copies its session's
event hooks when it is created). Round trips from any thread count, since a handler may fan out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.client import BaseClient

# Open recordings by id (parallel handler calls in one test each have one, and see each other's calls).
_recording: dict[int, list[str]] = {}
_original = BaseClient._make_api_call


def _make_api_call(self: BaseClient, operation_name: str, api_params: dict) -> dict:
    if _recording and self.meta.service_model.service_name == "dynamodb":
        for calls in list(_recording.values()):
            calls.append(operation_name)
    return _original(self, operation_name, api_params)


BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]


@contextmanager
def dynamodb_calls() -> Iterator[list[str]]:
    """The DynamoDB operations made inside the block, in order."""
    calls: list[str] = []
    _recording[id(calls)] = calls
    try:
        yield calls
    finally:
        del _recording[id(calls)]
