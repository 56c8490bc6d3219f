"""Refresh-token rotation and reuse detection, logout, logout-all, the sessions list, token checks."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest

from pitchey.auth.models import Session
from pitchey.core import clock
from pitchey.core.audit import AuditEntry
from tests.auth_support import (
    authed,
    login,
    me,
    refresh,
    register,
)


@pytest.fixture
def alice(aws):
    """Alice's registration: her first session (device A)."""
    return register("creator", email="alice@example.com").data


def session_of(grant: dict) -> Session:
    return Session.get(grant["refreshToken"].split(".")[0], consistent_read=True)


def logout(token: str, **kwargs):
    return authed("auth/logout", "POST", "/api/auth/logout", token, **kwargs)


def logout_all(token: str, **kwargs):
    return authed("auth/logout_all", "POST", "/api/auth/logout-all", token, **kwargs)


def sessions(token: str, **kwargs):
    return authed("auth/sessions", "GET", "/api/auth/sessions", token, **kwargs)


def revoke(token: str, session_id: str):
    return authed(
        "auth/revoke_session",
        "DELETE",
        f"/api/auth/sessions/{session_id}",
        token,
        path_params={"id": session_id},
    )


# --- refresh -------------------------------------------------------------------------------------------
def test_refresh_rotates_and_slides_the_session(alice, monkeypatch):
    before = session_of(alice).ttl
    monkeypatch.setattr(clock, "epoch", lambda: int(time.time()) + 3600)
    answer = refresh(alice["refreshToken"])
    assert answer.status == 200
    assert set(answer.data) == {"accessToken", "refreshToken", "expiresIn"}
    assert answer.data["refreshToken"] != alice["refreshToken"]
    assert answer.data["refreshToken"].split(".")[0] == alice["refreshToken"].split(".")[0]  # same session
    assert session_of(alice).ttl >= before + 3600
    monkeypatch.undo()
    again = refresh(answer.data["refreshToken"])  # the new one rotates in turn
    assert again.status == 200
    assert me(again.data["accessToken"]).status == 200


def test_only_a_hash_of_the_refresh_token_is_stored(alice):
    stored = session_of(alice)
    secret = alice["refreshToken"].split(".", 1)[1]
    assert secret not in str(stored.attribute_values)
    assert len(stored.refresh_hash) == 64


def test_reusing_a_rotated_token_revokes_the_whole_session(alice, setenv):
    setenv("REFRESH_REUSE_GRACE_SECONDS", "0")  # the grace is tested in test_security_review
    rotated = refresh(alice["refreshToken"]).data
    reused = refresh(alice["refreshToken"])
    assert reused.status == 401 and reused.code == "TOKEN_REUSED"
    assert session_of(alice).revoked_at is not None
    # the newest refresh token and every access token of the session stop at once
    assert refresh(rotated["refreshToken"]).status == 401
    assert me(rotated["accessToken"]).status == 401
    assert me(alice["accessToken"]).status == 401
    assert me(alice["accessToken"], bearer_only=True).status == 401
    # other sessions of the user are untouched
    assert me(login().data["accessToken"]).status == 200
    entry = [e for e in AuditEntry.query(alice["user"]["id"]) if e.action == "auth.token_reuse"]
    assert entry and entry[0].ip_address and entry[0].user_agent


def test_racing_refreshes_only_one_wins(alice):
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: refresh(alice["refreshToken"]), range(6)))
    # the losers refreshed within the grace: told the token was just rotated, not judged reuse
    assert sorted(a.status for a in answers) == [200] + [409] * 5
    assert {a.code for a in answers if a.status == 409} == {"TOKEN_ALREADY_ROTATED"}
    assert session_of(alice).revoked_at is None


def test_simultaneous_refreshes_one_wins_and_the_winner_keeps_the_session(alice, monkeypatch):
    """Both requests read the session before either writes: the conditional update lets one through."""
    barrier = threading.Barrier(2, timeout=10)
    real_get = Session.get.__func__

    reads = []

    def get_then_wait(cls, *args, **kwargs):
        session = real_get(cls, *args, **kwargs)
        reads.append(1)
        if len(reads) <= 2:  # the two first reads; the loser's re-read after its failed write goes on
            barrier.wait()
        return session

    monkeypatch.setattr(Session, "get", classmethod(get_then_wait))
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: refresh(alice["refreshToken"]), range(2)))
    monkeypatch.undo()
    assert sorted(a.status for a in answers) == [200, 409]
    winner = next(a for a in answers if a.status == 200)
    assert next(a for a in answers if a.status == 409).code == "TOKEN_ALREADY_ROTATED"
    assert session_of(alice).revoked_at is None
    assert me(winner.data["accessToken"]).status == 200
    assert refresh(winner.data["refreshToken"]).status == 200


@pytest.mark.parametrize("token", ["garbage", "nodot", "a.b", "", ".secret", "../../etc.x", "x" * 512])
def test_unknown_or_garbage_refresh_token_is_401(alice, token):
    answer = refresh(token)
    assert answer.status in (401, 422)
    if token:
        assert answer.status == 401 and answer.code == "UNAUTHORIZED"


@pytest.mark.parametrize("token", [None, 123, ["a.b"], "x" * 513])
def test_refresh_token_of_the_wrong_type_is_422(alice, token):
    assert refresh(token).status == 422


def test_guessing_a_secret_does_not_revoke_the_session(alice):
    session_id = alice["refreshToken"].split(".")[0]
    answer = refresh(f"{session_id}.guessed-secret")
    assert answer.status == 401 and answer.code == "UNAUTHORIZED"
    assert session_of(alice).revoked_at is None
    assert refresh(alice["refreshToken"]).status == 200


def test_expired_session_cannot_refresh(alice, monkeypatch):
    monkeypatch.setattr(clock, "epoch", lambda: int(time.time()) + 7 * 24 * 3600 + 1)
    answer = refresh(alice["refreshToken"])
    assert answer.status == 401 and answer.code == "UNAUTHORIZED"


def test_refresh_is_audited(alice):
    refresh(alice["refreshToken"])
    assert "auth.refresh" in [e.action for e in AuditEntry.query(alice["user"]["id"])]


# --- logout --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [None, {}])
def test_logout_accepts_an_empty_body_and_ends_the_session_everywhere(alice, body):
    answer = logout(alice["accessToken"], body=body)
    assert answer.status == 200
    assert session_of(alice).revoked_at is not None
    for kwargs in ({}, {"bearer_only": True}):
        refused = me(alice["accessToken"], **kwargs)
        assert refused.status == 401 and refused.code == "UNAUTHORIZED"
    assert sessions(alice["accessToken"]).status == 401
    user_id = alice["user"]["id"]
    profile = authed(
        "users/get", "GET", f"/api/users/{user_id}", alice["accessToken"], path_params={"id": user_id}
    )
    assert profile.status == 401
    assert refresh(alice["refreshToken"]).status == 401
    assert logout(alice["accessToken"]).status == 401


def test_logout_refuses_parameters(alice):
    assert logout(alice["accessToken"], body={"all": True}).status == 422


def test_logout_all_ends_every_session_of_the_user_only(alice):
    device_b = login(user_agent="Phone").data
    bob = register(email="bob@example.com", username="bob").data
    answer = logout_all(device_b["accessToken"], body={})
    assert answer.status == 200 and answer.data == {"revokedSessions": 2}
    for grant in (alice, device_b):
        assert me(grant["accessToken"]).status == 401
        assert refresh(grant["refreshToken"]).status == 401
    assert me(bob["accessToken"]).status == 200
    actions = [e.action for e in AuditEntry.query(alice["user"]["id"])]
    assert "auth.logout_all" in actions


def test_logout_is_audited(alice):
    logout(alice["accessToken"])
    entry = next(e for e in AuditEntry.query(alice["user"]["id"]) if e.action == "auth.logout")
    assert entry.target_id == session_of(alice).id and entry.ip_address and entry.user_agent == "pytest"


# --- sessions ------------------------------------------------------------------------------------------
def test_sessions_lists_live_devices_newest_first_with_current(alice):
    phone = login(user_agent="Phone/1.0", ip="192.0.2.44").data
    answer = sessions(phone["accessToken"])
    assert answer.status == 200
    listed = answer.data
    assert [s["id"] for s in listed] == [session_of(phone).id, session_of(alice).id]
    assert set(listed[0]) == {"id", "createdAt", "lastUsedAt", "userAgent", "ipAddress", "current"}
    assert listed[0]["current"] is True and listed[1]["current"] is False
    assert listed[0]["userAgent"] == "Phone/1.0" and listed[0]["ipAddress"] == "192.0.2.44"
    assert listed[0]["createdAt"].endswith("Z") and len(listed[0]["createdAt"]) == 20
    assert answer.body["metadata"]["limit"] == 20 and answer.body["metadata"]["nextCursor"] is None
    # seen from the other device, `current` flips; a revoked session disappears
    assert [s["current"] for s in sessions(alice["accessToken"]).data] == [False, True]
    logout(phone["accessToken"])
    assert [s["id"] for s in sessions(alice["accessToken"]).data] == [session_of(alice).id]


def test_sessions_list_pages_with_a_cursor(alice):
    for _ in range(2):
        login()
    first = sessions(alice["accessToken"], query={"limit": "2"})
    assert len(first.data) == 2 and first.body["metadata"]["nextCursor"]
    second = sessions(
        alice["accessToken"], query={"limit": "2", "cursor": first.body["metadata"]["nextCursor"]}
    )
    assert [s["id"] for s in second.data] == [session_of(alice).id]
    assert sessions(alice["accessToken"], query={"cursor": "forged"}).status == 400
    assert sessions(alice["accessToken"], query={"limit": "0"}).status == 400


def test_revoking_one_of_my_sessions(alice):
    phone = login(user_agent="Phone").data
    answer = revoke(alice["accessToken"], session_of(phone).id)
    assert answer.status == 200
    assert me(phone["accessToken"]).status == 401
    assert me(alice["accessToken"]).status == 200
    assert "auth.session_revoke" in [e.action for e in AuditEntry.query(alice["user"]["id"])]


def test_revoking_another_users_session_or_an_unknown_one_is_404(alice):
    bob = register(email="bob@example.com", username="bob").data
    answer = revoke(alice["accessToken"], session_of(bob).id)
    assert answer.status == 404 and answer.code == "NOT_FOUND"
    assert session_of(bob).revoked_at is None and me(bob["accessToken"]).status == 200
    assert revoke(alice["accessToken"], "0" * 32).status == 404
    assert revoke(alice["accessToken"], "x" * 300).status == 404


# --- access tokens ---------------------------------------------------------------------------------------
def test_expired_access_token_is_401_token_expired(aws, monkeypatch):
    monkeypatch.setattr(clock, "epoch", lambda: int(time.time()) - 1000)
    grant = register().data  # issued 1000 s ago with a 900 s lifetime
    monkeypatch.undo()
    for kwargs in ({}, {"bearer_only": True}):
        answer = me(grant["accessToken"], **kwargs)
        assert answer.status == 401 and answer.code == "TOKEN_EXPIRED"
    assert refresh(grant["refreshToken"]).status == 200  # the session itself is fine


def test_cached_authorizer_answer_past_expiry_is_still_refused(alice, monkeypatch):
    from tests.auth_support import authorize

    context = authorize(alice["accessToken"])["context"]  # API Gateway may cache this for 300 s
    monkeypatch.setattr(clock, "epoch", lambda: int(time.time()) + 901)
    from tests.auth_support import handler
    from tests.events import call, http_event

    answer = call(handler("auth/me"), http_event("GET", "/api/auth/me", authorizer=context))
    assert answer.status == 401 and answer.code == "TOKEN_EXPIRED"


def _tamper(token: str) -> str:
    header, _payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["sub"] = "someone-else"
    forged = jwt.encode(claims, "not-the-signing-secret-of-this-deployment", algorithm="HS256").split(".")[1]
    return f"{header}.{forged}.{signature}"


def test_tampered_token_is_401(alice):
    token = alice["accessToken"]
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    foreign = jwt.encode(
        jwt.decode(token, options={"verify_signature": False}),
        "another-deployments-signing-secret-32b",
        algorithm="HS256",
    )
    for bad in (_tamper(token), flipped, foreign, "not.a.jwt"):
        for kwargs in ({}, {"bearer_only": True}):
            answer = me(bad, **kwargs)
            assert answer.status == 401 and answer.code == "UNAUTHORIZED", bad


def test_no_token_on_a_protected_handler_is_401(aws):
    from tests.auth_support import handler
    from tests.events import call, http_event

    answer = call(handler("auth/me"), http_event("GET", "/api/auth/me"))
    assert answer.status == 401 and answer.code == "UNAUTHORIZED"
