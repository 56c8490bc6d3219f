"""POST /api/auth/{portal}/login: credentials, portals, lockout per email, per-IP rate limit."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pitchey.auth import passwords
from pitchey.core import clock
from pitchey.core.audit import AuditEntry
from pitchey.users.models import User
from tests.auth_support import PASSWORD, handler, login, me, refresh, register
from tests.events import call, http_event


@pytest.fixture
def alice(aws):
    return register("investor", email="Alice@Example.com").data["user"]


@pytest.fixture
def frozen_clock(monkeypatch):
    """clock.epoch() under the test's control: `frozen_clock.advance(seconds)`."""

    class FrozenClock:
        now = int(time.time())

        def advance(self, seconds: int) -> None:
            self.now += seconds

    fake = FrozenClock()
    monkeypatch.setattr(clock, "epoch", lambda: fake.now)
    return fake


def test_login_returns_user_and_a_new_session(alice):
    first = login("investor", "alice@example.com")
    second = login("investor", "ALICE@example.com")
    assert first.status == 200 and second.status == 200
    assert set(first.data) == {"user", "accessToken", "refreshToken", "expiresIn"}
    assert first.data["user"] == alice
    assert first.data["refreshToken"].split(".")[0] != second.data["refreshToken"].split(".")[0]
    assert me(first.data["accessToken"]).status == 200
    assert User.get(alice["id"]).last_login_at is not None


@pytest.mark.parametrize("portal", ["creator", "production"])
def test_right_credentials_on_another_portal_is_403(alice, portal):
    answer = login(portal, "alice@example.com")
    assert answer.status == 403 and answer.code == "PORTAL_MISMATCH"


def test_unknown_portal_is_404(alice):
    assert login("viewer", "alice@example.com").status == 404


def test_wrong_password_and_unknown_email_answer_the_same(alice):
    wrong = login("investor", "alice@example.com", "wr0ng-password")
    unknown = login("investor", "nobody@example.com", PASSWORD)
    assert wrong.status == unknown.status == 401
    assert wrong.code == unknown.code == "UNAUTHORIZED"
    assert wrong.body["error"]["message"] == unknown.body["error"]["message"]


def test_unknown_email_still_pays_for_a_bcrypt_check(alice, monkeypatch):
    checks = []
    bcrypt = passwords._bcrypt()
    real_checkpw = bcrypt.checkpw
    monkeypatch.setattr(
        bcrypt, "checkpw", lambda pw, hashed: checks.append(hashed) or real_checkpw(pw, hashed)
    )
    assert login("investor", "nobody@example.com").status == 401
    assert len(checks) == 1 and checks[0].startswith(b"$2b$04$")


@pytest.mark.parametrize(
    "body", [{"email": "alice@example.com"}, {"password": PASSWORD}, {"email": "a@x.io", "password": ""}]
)
def test_missing_credentials_are_422(alice, body):
    event = http_event("POST", "/api/auth/investor/login", body=body, path_params={"portal": "investor"})
    assert call(handler("auth/login"), event).status == 422


def test_unknown_field_is_422_and_non_json_is_400(alice):
    body = {"email": "alice@example.com", "password": PASSWORD, "portal": "creator"}
    event = http_event("POST", "/api/auth/investor/login", body=body, path_params={"portal": "investor"})
    assert call(handler("auth/login"), event).status == 422
    event = http_event("POST", "/api/auth/investor/login", raw_body="{", path_params={"portal": "investor"})
    assert call(handler("auth/login"), event).status == 400


# --- lockout -------------------------------------------------------------------------------------------
def test_five_failures_then_locked_even_with_the_right_password(alice):
    for _ in range(5):
        answer = login("investor", "alice@example.com", "wr0ng-password")
        assert answer.status == 401 and answer.code == "UNAUTHORIZED"
    locked = login("investor", "ALICE@example.com", PASSWORD)
    assert locked.status == 429 and locked.code == "ACCOUNT_LOCKED"
    assert 890 <= int(locked.headers["Retry-After"]) <= 900
    again = login("investor", "alice@example.com", "wr0ng-password")
    assert again.status == 429 and again.code == "ACCOUNT_LOCKED"


def test_lockout_counts_unknown_emails_too_and_is_per_email(alice):
    for _ in range(5):
        assert login("investor", "ghost@example.com", "whatever1").status == 401
    assert login("investor", "ghost@example.com", "whatever1").code == "ACCOUNT_LOCKED"
    assert login("investor", "alice@example.com").status == 200


def test_lock_lasts_until_the_window_anchored_at_the_first_failure_ends(alice, frozen_clock):
    for _ in range(4):
        assert login("investor", "alice@example.com", "wr0ng1").status == 401
    frozen_clock.advance(850)
    assert login("investor", "alice@example.com", "wr0ng1").status == 401  # 5th, late in the window
    locked = login("investor", "alice@example.com")
    assert locked.code == "ACCOUNT_LOCKED" and int(locked.headers["Retry-After"]) == 50
    frozen_clock.advance(49)
    assert login("investor", "alice@example.com").code == "ACCOUNT_LOCKED"
    frozen_clock.advance(1)
    assert login("investor", "alice@example.com").status == 200


def test_a_failure_after_the_window_opens_a_fresh_one(alice, frozen_clock):
    for _ in range(4):
        login("investor", "alice@example.com", "wr0ng1")
    frozen_clock.advance(901)
    for _ in range(5):  # the old four no longer count
        assert login("investor", "alice@example.com", "wr0ng1").status == 401
    assert login("investor", "alice@example.com").code == "ACCOUNT_LOCKED"


def test_lockout_window_is_a_setting(alice, setenv):
    setenv("LOGIN_LOCKOUT_SECONDS", "30")
    for _ in range(5):
        login("investor", "alice@example.com", "wr0ng1")
    assert int(login("investor", "alice@example.com").headers["Retry-After"]) <= 30


def test_success_forgets_earlier_failures(alice):
    for _ in range(4):
        login("investor", "alice@example.com", "wr0ng1")
    assert login("investor", "alice@example.com").status == 200
    for _ in range(5):
        assert login("investor", "alice@example.com", "wr0ng1").status == 401
    assert login("investor", "alice@example.com").code == "ACCOUNT_LOCKED"


def test_concurrent_failures_never_allow_more_than_five_tries(alice):
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: login("investor", "alice@example.com", "wr0ng1"), range(12)))
    assert sorted(a.status for a in answers) == [401] * 5 + [429] * 7
    assert login("investor", "alice@example.com").code == "ACCOUNT_LOCKED"


def test_login_events_are_audited(alice):
    for _ in range(5):
        login("investor", "alice@example.com", "wr0ng1", ip="192.0.2.1")
    login("investor", "alice@example.com", ip="192.0.2.1")
    anonymous = [e.action for e in AuditEntry.query("anonymous")]
    assert anonymous.count("auth.login_failure") == 5
    assert anonymous.count("auth.lockout") == 1
    assert anonymous.count("auth.login_refused_locked") == 1
    assert all(e.ip_address == "192.0.2.1" for e in AuditEntry.query("anonymous"))


def test_successful_login_is_audited(alice):
    session_id = (
        login("investor", "alice@example.com", user_agent="Safari/17").data["refreshToken"].split(".")[0]
    )
    entry = next(e for e in AuditEntry.query(alice["id"]) if e.action == "auth.login")
    assert entry.target_id == session_id and entry.user_agent == "Safari/17" and entry.ip_address


# --- per-IP rate limit -----------------------------------------------------------------------------------
def test_register_login_and_refresh_share_a_per_ip_budget(aws, setenv):
    setenv("AUTH_RATE_LIMIT_PER_MINUTE", "3")
    ip = "203.0.113.50"
    granted = register(ip=ip)
    assert granted.status == 201
    assert login(ip=ip).status == 200
    assert refresh(granted.data["refreshToken"], ip=ip).status == 200
    for answer in (login(ip=ip), register(email="b@example.com", ip=ip), refresh("x.y", ip=ip)):
        assert answer.status == 429 and answer.code == "RATE_LIMITED"
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert login(ip="203.0.113.51").status == 200


def test_default_rate_limit_is_twenty_per_minute(aws, frozen_clock):  # one window, however slow the run
    ip = "203.0.113.60"
    assert [login(email=f"nobody{n}@example.com", ip=ip).status for n in range(20)] == [401] * 20
    assert login(email="someone-else@example.com", ip=ip).code == "RATE_LIMITED"
