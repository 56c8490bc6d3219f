"""The HTTP API's Lambda REQUEST authorizer (payload 2.0, simple responses): JWT only, no I/O."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest

from pitchey.auth.tokens import issue_access_token
from pitchey.core import clock
from tests.auth_support import authorize, handler

ROOT = Path(__file__).resolve().parents[2]


def test_good_token_passes_who_the_caller_is():
    # no `aws` fixture: the authorizer must not touch DynamoDB (nothing is mocked here)
    token, ttl = issue_access_token("user-1", "session-1", "investor")
    decision = authorize(token)
    assert decision["isAuthorized"] is True
    context = decision["context"]
    assert {k: context[k] for k in ("userId", "role", "sessionId")} == {
        "userId": "user-1",
        "role": "investor",
        "sessionId": "session-1",
    }
    assert abs(context["exp"] - (int(time.time()) + ttl)) <= 2 and isinstance(context["exp"], int)


def test_expired_token_is_let_through_with_token_expired(monkeypatch):
    monkeypatch.setattr(clock, "epoch", lambda: int(time.time()) - 1000)
    token, _ = issue_access_token("user-1", "session-1", "creator")
    monkeypatch.undo()
    assert authorize(token) == {"isAuthorized": True, "context": {"authError": "TOKEN_EXPIRED"}}


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        "a.b.c",
        jwt.encode(
            {"sub": "u", "sid": "s", "role": "creator", "iat": 1, "exp": 2**40, "jti": "j"},
            "a-different-signing-secret-of-32-bytes",
            algorithm="HS256",
        ),
        jwt.encode({"sub": "u", "exp": 2**40}, "dev-only-test-signing-key-not-a-secret", algorithm="HS256"),
    ],
)
def test_bad_tokens_are_let_through_with_unauthorized(token):
    assert authorize(token) == {"isAuthorized": True, "context": {"authError": "UNAUTHORIZED"}}


def test_tampered_payload_is_unauthorized():
    token, _ = issue_access_token("user-1", "session-1", "creator")
    header, _, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False}) | {"role": "investor"}
    payload = jwt.encode(claims, "x" * 32, algorithm="HS256").split(".")[1]
    assert authorize(f"{header}.{payload}.{signature}")["context"] == {"authError": "UNAUTHORIZED"}


def test_alg_none_is_refused():
    claims = {"sub": "u", "sid": "s", "role": "creator", "iat": 1, "exp": 2**40, "jti": "j"}
    token = jwt.encode(claims, None, algorithm="none")
    assert authorize(token)["context"] == {"authError": "UNAUTHORIZED"}


@pytest.mark.parametrize("header", ["Basic dXNlcjpwdw==", "Bearer", "Bearer ", "token-without-scheme"])
def test_malformed_authorization_header_is_unauthorized(header):
    event = {
        "version": "2.0",
        "type": "REQUEST",
        "identitySource": [header],
        "headers": {"authorization": header},
    }
    answer = handler("auth/authorizer")(event, None)
    assert answer == {"isAuthorized": True, "context": {"authError": "UNAUTHORIZED"}}


def test_without_an_identity_it_denies_like_the_gateway():
    assert handler("auth/authorizer")({"version": "2.0", "headers": {}}, None) == {"isAuthorized": False}


def test_header_is_read_when_identity_source_is_absent():
    token, _ = issue_access_token("user-1", "session-1", "creator")
    event = {"version": "2.0", "headers": {"Authorization": f"Bearer {token}"}}
    assert handler("auth/authorizer")(event, None)["context"]["userId"] == "user-1"


def test_authorizer_imports_neither_boto3_nor_pynamodb():
    code = (
        "import sys, importlib.util\n"
        "sys.path.insert(0, 'layers/pitchey/python')\n"
        "spec = importlib.util.spec_from_file_location('authorizer', 'functions/auth/authorizer.py')\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "heavy = sorted(m for m in ('boto3', 'botocore', 'pynamodb', 'pydantic', 'aws_lambda_powertools')"
        " if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
