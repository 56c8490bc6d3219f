"""Email verification, forgot/reset/change password: single-use tokens, enumeration, sessions dying."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pitchey.auth.models import AccountToken
from pitchey.core import clock
from pitchey.core.audit import AuditEntry
from pitchey.notifications.models import OutboxEmail
from tests.auth_support import PASSWORD, authed, fresh_ip, handler, login, me, refresh, register
from tests.events import call, http_event
from tests.unit.accounts import make_user

NEW_PASSWORD = "n3w-Password"


def mails_to(email: str, kind: str) -> list[OutboxEmail]:
    return sorted(
        (m for m in OutboxEmail.scan() if m.to_email == email and m.id.startswith(f"{kind}#")),
        key=lambda m: m.created_at,
    )


def token_in(mail: OutboxEmail) -> str:
    return re.search(r"[?&]token=([A-Za-z0-9_.%-]+)", mail.text).group(1)


def public(name: str, path: str, body: dict, domain: str | None = None):
    event = http_event("POST", path, body=body, source_ip=fresh_ip())
    if domain:
        event["requestContext"]["domainName"] = domain
    return call(handler(name), event)


def verify(token: str):
    return public("auth/verify_email", "/api/auth/verify-email", {"token": token})


def resend(token: str):
    return authed("auth/resend_verification", "POST", "/api/auth/resend-verification", token, body={})


def forgot(email: str, domain: str | None = None):
    return public("auth/forgot_password", "/api/auth/forgot-password", {"email": email}, domain)


def reset(token: str, password: str = NEW_PASSWORD):
    return public("auth/reset_password", "/api/auth/reset-password", {"token": token, "password": password})


def change(token: str, current: str, new: str = NEW_PASSWORD):
    body = {"currentPassword": current, "newPassword": new}
    return authed("auth/change_password", "POST", "/api/auth/change-password", token, body=body)


def actions_of(user_id: str) -> list[str]:
    return [entry.action for entry in AuditEntry.query(user_id)]


@pytest.fixture
def alice(aws):
    return register("creator", email="alice@example.com").data


# --- email verification ----------------------------------------------------------------------------
def test_register_mails_a_single_use_verification_link(alice):
    assert alice["user"]["emailVerified"] is False and alice["user"]["mfaEnabled"] is False
    [mail] = mails_to("alice@example.com", "verify-email")
    token = token_in(mail)
    item = AccountToken.get(token.split(".")[0])
    assert token.split(".")[1] not in str(item.attribute_values)  # stored hashed only
    assert item.expires_at - clock.epoch() in range(86400 - 5, 86401)

    answer = verify(token)
    assert answer.status == 200 and answer.data["emailVerified"] is True
    assert me(alice["accessToken"]).data["emailVerified"] is True  # the old access token sees it at once
    again = verify(token)
    assert again.status == 400 and again.code == "INVALID_TOKEN"
    assert "auth.email_verified" in actions_of(alice["user"]["id"])


@pytest.mark.parametrize("mangle", ["unknown", "wrong-secret", "malformed", "expired"])
def test_bad_verification_tokens_are_400(alice, mangle, monkeypatch):
    token = token_in(mails_to("alice@example.com", "verify-email")[0])
    token_id, secret = token.split(".")
    if mangle == "unknown":
        token = f"{'0' * 32}.{secret}"
    elif mangle == "wrong-secret":
        token = f"{token_id}.{'A' * len(secret)}"
    elif mangle == "malformed":
        token = "not a token"
    else:
        monkeypatch.setattr(clock, "epoch", lambda: int(time.time()) + 86400 + 1)
    answer = verify(token)
    assert answer.status == 400 and answer.code == "INVALID_TOKEN"
    monkeypatch.undo()
    assert me(alice["accessToken"]).data["emailVerified"] is False


def test_a_reset_token_does_not_verify_an_email(alice):
    forgot("alice@example.com")
    answer = verify(token_in(mails_to("alice@example.com", "reset-password")[0]))
    assert answer.status == 400 and answer.code == "INVALID_TOKEN"


def test_racing_verifications_of_one_token_succeed_once(alice):
    token = token_in(mails_to("alice@example.com", "verify-email")[0])
    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(answer.status for answer in pool.map(lambda _: verify(token), range(4)))
    assert statuses == [200, 400, 400, 400]


def test_resend_waits_a_minute_after_the_last_mail(alice, monkeypatch):
    early = resend(alice["accessToken"])
    assert early.status == 429 and early.code == "RATE_LIMITED"
    assert 1 <= int(early.headers["Retry-After"]) <= 60
    monkeypatch.setattr(clock, "epoch", lambda: int(time.time()) + 61)
    assert resend(alice["accessToken"]).status == 200
    assert resend(alice["accessToken"]).status == 429
    monkeypatch.undo()
    mails = mails_to("alice@example.com", "verify-email")
    assert len(mails) == 2
    assert verify(token_in(mails[0])).status == 200  # the earlier link still works until it expires
    assert resend(alice["accessToken"]).data == {"sent": False, "emailVerified": True}


def test_links_point_at_the_api_the_request_came_to(aws):
    answer = call(
        handler("auth/register"),
        {
            **http_event(
                "POST",
                "/api/auth/creator/register",
                body={"email": "lo@example.com", "password": PASSWORD, "username": "lo_cal"},
                path_params={"portal": "creator"},
                source_ip=fresh_ip(),
            ),
        }
        | {
            "requestContext": {
                "domainName": "127.0.0.1:4567",
                "http": {"method": "POST", "sourceIp": "1.2.3.4"},
            }
        },
    )
    assert answer.status == 201
    assert (
        "http://127.0.0.1:4567/api/auth/verify-email?token="
        in mails_to("lo@example.com", "verify-email")[0].text
    )
    forgot("lo@example.com", domain="evil.example.net")  # a forged Host never steers the link
    text = mails_to("lo@example.com", "reset-password")[0].text
    assert "evil.example.net" not in text and "/api/auth/reset-password?token=" in text


# --- forgot / reset ----------------------------------------------------------------------------------
def test_forgot_password_answers_the_same_for_unknown_emails(alice):
    known, unknown = forgot("alice@example.com"), forgot("nobody@example.com")
    assert known.status == unknown.status == 200
    assert known.data == unknown.data
    assert len(mails_to("alice@example.com", "reset-password")) == 1
    assert not mails_to("nobody@example.com", "reset-password")


def test_reset_sets_the_password_and_ends_every_session(alice):
    second = login().data
    forgot("ALICE@example.com")
    token = token_in(mails_to("alice@example.com", "reset-password")[0])
    assert AccountToken.get(token.split(".")[0]).expires_at - clock.epoch() in range(3600 - 5, 3601)

    answer = reset(token)
    assert answer.status == 200 and answer.data["revokedSessions"] == 2
    for grant in (alice, second):
        assert me(grant["accessToken"], bearer_only=True).status == 401
        assert refresh(grant["refreshToken"]).status == 401
    assert login(password=PASSWORD).status == 401
    assert login(password=NEW_PASSWORD).status == 200
    again = reset(token, "An0ther-password")
    assert again.status == 400 and again.code == "INVALID_TOKEN"
    assert {"auth.password_reset_requested", "auth.password_reset"} <= set(actions_of(alice["user"]["id"]))


def test_a_password_change_voids_earlier_reset_links(alice):
    forgot("alice@example.com")
    token = token_in(mails_to("alice@example.com", "reset-password")[0])
    assert change(alice["accessToken"], PASSWORD).status == 200
    answer = reset(token)
    assert answer.status == 400 and answer.code == "INVALID_TOKEN"


def test_reset_checks_the_new_password_and_token(alice):
    forgot("alice@example.com")
    token = token_in(mails_to("alice@example.com", "reset-password")[0])
    assert reset(token, "short1").status == 422
    assert reset(f"{token[:-3]}xyz").status == 400
    assert reset(token).status == 200  # a refused attempt did not use it up


# --- change ------------------------------------------------------------------------------------------
def test_change_password_keeps_this_session_and_ends_the_others(alice):
    other = login().data
    answer = change(alice["accessToken"], PASSWORD)
    assert answer.status == 200 and answer.data["revokedSessions"] == 1
    assert me(alice["accessToken"], bearer_only=True).status == 200
    assert refresh(alice["refreshToken"]).status == 200
    assert me(other["accessToken"], bearer_only=True).status == 401
    assert refresh(other["refreshToken"]).status == 401
    assert login(password=NEW_PASSWORD).status == 200
    assert "auth.password_change" in actions_of(alice["user"]["id"])


def test_change_password_with_a_wrong_current_one_is_401(alice):
    answer = change(alice["accessToken"], "wrong-password1")
    assert answer.status == 401
    assert login(password=PASSWORD).status == 200
    assert "auth.password_change_refused" in actions_of(alice["user"]["id"])


def test_unverified_guard(aws):
    from pitchey.auth.service import require_verified_email  # the guard other contexts call
    from pitchey.core.errors import Forbidden

    unverified, verified = make_user("investor", verified=False), make_user("investor")
    require_verified_email(verified.id)
    with pytest.raises(Forbidden) as refused:
        require_verified_email(unverified.id)
    assert refused.value.code == "EMAIL_NOT_VERIFIED"
