"""schemathesis over every operation of docs/openapi.json against the local runtime (issue #18): with a
valid token of each role, no answer is a 5xx and every answer conforms to the document (status code,
content type, headers, body schema).

Each example goes out once per role (public operations: once, without a token). Operations that end
the caller's session (logout, logout-all) get a session of their own (one role per example, in turn), so
the shared tokens stay live. Examples per operation: MAX_EXAMPLES (docs/decisions.md says the time)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from local.openapi import OUTPUT
from local.testing import RuntimeProcess
from tests.integration.accounts import PASSWORD, Account, register

ROLES = ("creator", "investor", "production")
MAX_EXAMPLES = 3
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
TURNS = itertools.count()
ENDS_SESSION = {("POST", "/api/auth/logout"), ("POST", "/api/auth/logout-all")}

# No coverage phase (hundreds of boundary cases per operation would not fit the time budget): explicit
# examples, then generated ones in both modes (valid input, and invalid input, which must be a 4xx).
CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {"coverage": {"enabled": False}},
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
    }
)
SCHEMA = schemathesis.openapi.from_path(str(OUTPUT), config=CONFIG)


@pytest.fixture(scope="module")
def accounts(runtime: RuntimeProcess) -> dict[str, Account]:
    return {role: register(runtime, role) for role in ROLES}


def fresh_token(runtime: RuntimeProcess, role: str, account: Account) -> str:
    answer = runtime.client.post(
        f"/api/auth/{role}/login", json={"email": account.email, "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["accessToken"]


@SCHEMA.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure in CI reproduces locally
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms(case: Any, runtime: RuntimeProcess, accounts: dict[str, Account]) -> None:
    """Each generated request is sent once per role's token (a public operation: without one, and with
    optional auth: both), so every role meets every operation without generating a case per role."""
    operation = case.operation
    security = operation.definition.raw.get("security")
    callers: list[str | None] = [None] if security == [] else list(ROLES)
    if security == [{}, {"bearerAuth": []}]:
        callers.insert(0, None)
    ends_session = (operation.method.upper(), operation.path) in ENDS_SESSION
    if ends_session:  # a login per call (bcrypt) is slow: one role per example, in turn
        callers = [ROLES[next(TURNS) % len(ROLES)]]
    for role in callers:
        headers = {}
        if role is not None:
            token = fresh_token(runtime, role, accounts[role]) if ends_session else accounts[role].token
            headers["Authorization"] = f"Bearer {token}"
        case.call_and_validate(base_url=runtime.http, headers=headers, checks=CHECKS)
