"""Helpers for the auth and users unit tests: call handlers the way API Gateway would.

Protected calls go through the real authorizer function first and hand its context to the handler, as
the HTTP API does; `bearer_only=True` instead sends just the header (the path public routes take).
"""

from __future__ import annotations

import functools
import itertools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.events import Answer, call, http_event, load_handler

os.environ.setdefault("BCRYPT_ROUNDS", "4")  # bcrypt's minimum cost: same code path, fast tests

PASSWORD = "corr3ct-horse"
_ips = itertools.count(1)


def fresh_ip() -> str:
    """A distinct source IP, so the per-IP auth rate limit only bites where a test wants it to."""
    n = next(_ips)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


@functools.cache
def handler(name: str) -> Any:
    return load_handler(name)


def register(
    portal: str = "creator",
    email: str = "alice@example.com",
    password: str = PASSWORD,
    username: str = "alice",
    *,
    ip: str | None = None,
    user_agent: str = "pytest",
    **fields: Any,
) -> Answer:
    body = {"email": email, "password": password, "username": username, **fields}
    event = http_event(
        "POST",
        f"/api/auth/{portal}/register",
        body=body,
        path_params={"portal": portal},
        source_ip=ip or fresh_ip(),
        headers={"user-agent": user_agent},
    )
    return call(handler("auth/register"), event)


def login(
    portal: str = "creator",
    email: str = "alice@example.com",
    password: str = PASSWORD,
    *,
    ip: str | None = None,
    user_agent: str = "pytest",
) -> Answer:
    event = http_event(
        "POST",
        f"/api/auth/{portal}/login",
        body={"email": email, "password": password},
        path_params={"portal": portal},
        source_ip=ip or fresh_ip(),
        headers={"user-agent": user_agent},
    )
    return call(handler("auth/login"), event)


def refresh(refresh_token: Any, *, ip: str | None = None) -> Answer:
    event = http_event(
        "POST", "/api/auth/refresh", body={"refreshToken": refresh_token}, source_ip=ip or fresh_ip()
    )
    return call(handler("auth/refresh"), event)


def authorize(token: str) -> dict[str, Any]:
    """What the REQUEST authorizer answers for `Authorization: Bearer <token>`."""
    event = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/api/auth/me",
        "identitySource": [f"Bearer {token}"],
        "routeKey": "GET /api/auth/me",
        "headers": {"authorization": f"Bearer {token}"},
        "requestContext": {"http": {"method": "GET", "path": "/api/auth/me"}},
    }
    return handler("auth/authorizer")(event, None)


def authed(
    name: str,
    method: str,
    path: str,
    token: str,
    *,
    bearer_only: bool = False,
    user_agent: str = "pytest",
    **kwargs: Any,
) -> Answer:
    """Call a protected handler with `token`, through the authorizer unless `bearer_only`."""
    headers = {"user-agent": user_agent, **kwargs.pop("headers", {})}
    if bearer_only:
        event = http_event(method, path, token=token, headers=headers, **kwargs)
    else:
        decision = authorize(token)
        assert decision["isAuthorized"] is True
        event = http_event(
            method, path, token=token, headers=headers, authorizer=decision["context"], **kwargs
        )
    return call(handler(name), event)


def me(token: str, **kwargs: Any) -> Answer:
    return authed("auth/me", "GET", "/api/auth/me", token, **kwargs)


@contextmanager
def atomic_dynamodb_requests() -> Iterator[None]:
    """Make moto apply each DynamoDB request atomically, as DynamoDB does.

    moto's in-process backend is not thread-safe: a TransactWriteItems that fails restores a snapshot of
    its tables taken before it began, which can resurrect or erase another thread's concurrent writes.
    Race tests therefore run with requests serialized (the races between *requests*, which are what the
    application must handle, stay intact)."""
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    original = DynamoHandler.call_action

    def call_action(self: DynamoHandler) -> Any:
        with lock:
            return original(self)

    DynamoHandler.call_action = call_action
    try:
        yield
    finally:
        DynamoHandler.call_action = original
