"""TOTP MFA: RFC 6238 vectors, setup/enable/regenerate/disable, the login challenge and its limits, and
every code (TOTP and backup) working once."""

from __future__ import annotations

import base64
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest

from pitchey.auth import totp
from pitchey.core import clock
from pitchey.core.audit import AuditEntry
from pitchey.users.models import User
from tests.auth_support import PASSWORD, authed, fresh_ip, handler, login, me, register
from tests.events import call, http_event


def post(name: str, token: str, body: dict):
    return authed(
        f"auth/{name}", "POST", f"/api/auth/{name.replace('_', '/', 1).replace('_', '-')}", token, body=body
    )


def verify(challenge: str, code: str):
    event = http_event(
        "POST", "/api/auth/mfa/verify", body={"challengeToken": challenge, "code": code}, source_ip=fresh_ip()
    )
    return call(handler("auth/mfa_verify"), event)


def code_at(secret: str, offset_steps: int = 0) -> str:
    return totp.hotp(secret, totp.step(time.time()) + offset_steps)


@pytest.fixture
def alice(aws):
    return register("creator", email="alice@example.com").data


@pytest.fixture
def enrolled(alice):
    """Alice with MFA on: (grant, secret, backup codes). Her enabling code's step is used up."""
    secret = post("mfa_setup", alice["accessToken"], {}).data["secret"]
    codes = post("mfa_enable", alice["accessToken"], {"code": code_at(secret)}).data["backupCodes"]
    return alice, secret, codes


def step_forward(monkeypatch, steps: int) -> None:
    """Move the server clock on by whole TOTP steps (a fresh code for the same secret)."""
    base = time.time()
    monkeypatch.setattr(clock, "epoch", lambda: int(base) + steps * totp.STEP_SECONDS)


@pytest.mark.parametrize(
    ("at", "expected"),
    [(59, "94287082"), (1111111109, "07081804"), (1234567890, "89005924"), (20000000000, "65353130")],
)
def test_hotp_matches_the_rfc_6238_sha1_vectors(at, expected):
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp.hotp(secret, totp.step(at), digits=8) == expected


def test_setup_gives_an_otpauth_uri_and_enable_needs_a_right_code(alice):
    answer = post("mfa_setup", alice["accessToken"], {})
    assert answer.status == 200
    secret, uri = answer.data["secret"], answer.data["otpauthUri"]
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert parse_qs(parts.query) == {
        "secret": [secret],
        "issuer": ["Pitchey"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }
    assert me(alice["accessToken"]).data["mfaEnabled"] is False  # not before enable

    wrong = post(
        "mfa_enable", alice["accessToken"], {"code": "000000" if code_at(secret) != "000000" else "111111"}
    )
    assert wrong.status == 401 and wrong.code == "INVALID_MFA_CODE"
    enabled = post("mfa_enable", alice["accessToken"], {"code": code_at(secret)})
    assert enabled.status == 200
    codes = enabled.data["backupCodes"]
    assert len(codes) == len(set(codes)) == 10
    stored = User.get(alice["user"]["id"])
    assert stored.mfa_enabled and not set(codes) & set(stored.mfa_backup_hashes)  # hashed only
    assert me(alice["accessToken"]).data["mfaEnabled"] is True
    assert post("mfa_setup", alice["accessToken"], {}).code == "MFA_ALREADY_ENABLED"
    actions = {entry.action for entry in AuditEntry.query(alice["user"]["id"])}
    assert {"auth.mfa_setup", "auth.mfa_enabled"} <= actions


def test_login_with_mfa_returns_a_challenge_and_no_tokens(enrolled):
    _, secret, _ = enrolled
    answer = login()
    assert answer.status == 200 and set(answer.data) == {"mfaRequired", "challengeToken"}
    assert answer.data["mfaRequired"] is True
    code = code_at(secret, 1)  # the next step's code (enabling used this one): within the allowed drift
    granted = verify(answer.data["challengeToken"], code)
    assert granted.status == 200
    assert set(granted.data) == {"user", "accessToken", "refreshToken", "expiresIn"}
    assert me(granted.data["accessToken"]).status == 200
    reused = verify(answer.data["challengeToken"], code)
    assert reused.status == 400 and reused.code == "INVALID_TOKEN"
    replay = verify(login().data["challengeToken"], code)  # the same TOTP code on a new challenge
    assert replay.status == 401 and replay.code == "INVALID_MFA_CODE"


def test_five_wrong_codes_kill_the_challenge(enrolled, monkeypatch):
    _, secret, _ = enrolled
    challenge = login().data["challengeToken"]
    right = totp.hotp(secret, totp.step(time.time()) + 1)
    wrong = "123456" if right != "123456" else "654321"
    for _ in range(5):
        answer = verify(challenge, wrong)
        assert answer.status == 401 and answer.code == "INVALID_MFA_CODE"
    step_forward(monkeypatch, 1)
    dead = verify(challenge, right)
    assert dead.status == 400 and dead.code == "INVALID_TOKEN"


def test_racing_wrong_codes_count_at_most_five(enrolled):
    challenge = login().data["challengeToken"]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: verify(challenge, "99999999"), range(12)))  # 8 digits: never right
    assert sum(a.code == "INVALID_MFA_CODE" for a in answers) <= 5  # the counter never passes five
    assert all(a.status in (400, 401) for a in answers)
    assert verify(challenge, "99999999").code == "INVALID_TOKEN"


def test_an_expired_challenge_is_refused(enrolled, monkeypatch):
    _, _, codes = enrolled
    challenge = login().data["challengeToken"]
    monkeypatch.setattr(clock, "epoch", lambda: int(time.time()) + 301)
    answer = verify(challenge, codes[0])
    assert answer.status == 400 and answer.code == "INVALID_TOKEN"


def test_each_backup_code_works_once(enrolled):
    _, _, codes = enrolled
    assert verify(login().data["challengeToken"], codes[0]).status == 200
    again = verify(login().data["challengeToken"], codes[0])
    assert again.status == 401 and again.code == "INVALID_MFA_CODE"
    with ThreadPoolExecutor(4) as pool:  # one code raced on four challenges: one login
        challenges = [login().data["challengeToken"] for _ in range(4)]
        statuses = sorted(a.status for a in pool.map(lambda c: verify(c, codes[1].upper()), challenges))
    assert statuses == [200, 401, 401, 401]


def test_regenerating_backup_codes_voids_the_old_set(enrolled, monkeypatch):
    alice, secret, old = enrolled
    step_forward(monkeypatch, 1)
    answer = post(
        "mfa_backup_codes", alice["accessToken"], {"code": totp.hotp(secret, totp.step(clock.epoch()))}
    )
    assert answer.status == 200 and len(answer.data["backupCodes"]) == 10
    assert verify(login().data["challengeToken"], old[2]).status == 401
    assert verify(login().data["challengeToken"], answer.data["backupCodes"][0]).status == 200


def test_disable_needs_the_password_and_a_code(enrolled, monkeypatch):
    alice, secret, _ = enrolled
    step_forward(monkeypatch, 1)
    code = totp.hotp(secret, totp.step(clock.epoch()))
    wrong_password = post("mfa_disable", alice["accessToken"], {"password": "nope-nope-1", "code": code})
    assert wrong_password.status == 401 and wrong_password.code == "INVALID_PASSWORD"
    wrong_code = post("mfa_disable", alice["accessToken"], {"password": PASSWORD, "code": "00000000"})
    assert wrong_code.status == 401 and wrong_code.code == "INVALID_MFA_CODE"
    answer = post("mfa_disable", alice["accessToken"], {"password": PASSWORD, "code": code})
    assert answer.status == 200 and answer.data == {"mfaEnabled": False}
    plain = login()
    assert plain.status == 200 and "accessToken" in plain.data
    stored = User.get(alice["user"]["id"])
    assert not stored.mfa_enabled and stored.mfa_secret is None and stored.mfa_backup_hashes is None
    assert "auth.mfa_disabled" in {entry.action for entry in AuditEntry.query(alice["user"]["id"])}
