"""No client input may produce a 5xx: every route the template declares, called with malformed bodies, junk
path parameters and junk query strings, anonymously and as a user of each portal. Every answer must be a
4xx/2xx in the envelope (or the gateway's own 401 for a protected route without a token)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.accounts import register

BODIES: list[tuple[str, str | None]] = [
    ("no body", None),
    ("not json", "{not json"),
    ("json array", "[1, 2, 3]"),
    ("json null", "null"),
    ("json string", '"text"'),
    ("empty object", "{}"),
    ("wrong types", '{"title": 5, "email": [], "pitchId": {"a": 1}, "amountCents": "lots", "limit": -1}'),
    ("huge numbers", '{"fundingGoalCents": 1e400, "sizeBytes": 99999999999999999999999}'),
    ("unknown fields", '{"id": "x", "creatorId": "y", "status": "published", "isAdmin": true}'),
]
PATH_VALUES = ["..%2F%00", "a" * 300]
QUERIES = [
    {"limit": "abc", "cursor": "forged"},
    {"limit": "0", "status": "nope", "sort": "sideways", "genre": "x", "period": "1y"},
]


@pytest.fixture(scope="module")
def routes(runtime: Any) -> list[tuple[str, str]]:
    declared = runtime.client.get("/_local/routes").json()
    pairs = []
    for route in declared:
        if route["routeKey"] == "$default":
            continue
        method, path = route["routeKey"].split(" ", 1)
        pairs.append((method, path))
    assert len(pairs) > 40  # the sweep really covers the application
    return pairs


@pytest.fixture(scope="module")
def callers(runtime: Any) -> dict[str, dict[str, str]]:
    return {
        "anonymous": {},
        **{portal: register(runtime, portal).headers for portal in ("creator", "investor", "production")},
    }


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


# Answers that are JSON but, by design, not an envelope: the OpenAPI document itself.
NOT_ENVELOPED = {"/api/openapi.json"}


def _check(answer: Any, what: str) -> None:
    assert answer.status_code < 500, f"{what} -> {answer.status_code} {answer.text[:300]}"
    enveloped = answer.url.path not in NOT_ENVELOPED
    if enveloped and answer.headers.get("content-type", "").startswith("application/json") and answer.content:
        payload = answer.json()
        if payload != {"message": "Unauthorized"}:  # the gateway's own answer to a missing token
            assert "success" in payload, f"{what} answered outside the envelope: {answer.text[:200]}"


def test_malformed_bodies_never_cause_a_server_error(runtime, routes, callers):
    for method, path in routes:
        if method not in ("POST", "PUT", "DELETE"):
            continue
        for caller, headers in callers.items():
            for label, body in BODIES:
                url = _fill(path, "does-not-exist")
                answer = runtime.client.request(
                    method, url, content=body, headers={**headers, "Content-Type": "application/json"}
                )
                _check(answer, f"{caller} {method} {url} [{label}]")


def test_junk_path_and_query_parameters_never_cause_a_server_error(runtime, routes, callers):
    for method, path in routes:
        for caller, headers in callers.items():
            for value in PATH_VALUES if "{" in path else ["-"]:
                for query in QUERIES:
                    url = _fill(path, value)
                    answer = runtime.client.request(method, url, params=query, headers=headers)
                    _check(answer, f"{caller} {method} {url} {query}")
