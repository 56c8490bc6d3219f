"""Admin is data (bootstrap email, grants), admin routes refuse everyone else, suspend/ban end sessions."""

from __future__ import annotations

import pytest

from pitchey.core.audit import AuditEntry
from pitchey.users.models import User
from tests.auth_support import authed, login, me, register

ADMIN_EMAIL = "boss@example.com"


@pytest.fixture
def admin(aws, setenv):
    setenv("ADMIN_BOOTSTRAP_EMAIL", ADMIN_EMAIL)
    return register("creator", email="Boss@Example.com", username="boss").data


@pytest.fixture
def alice(aws):
    return register("investor", email="alice@example.com", username="alice").data


def users(token: str, **query: str):
    return authed("admin/users", "GET", "/api/admin/users", token, query=query or None)


def moderate(token: str, user_id: str, action: str, body: dict | None = None):
    return authed(
        "admin/moderate",
        "POST",
        f"/api/admin/users/{user_id}/{action}",
        token,
        path_params={"id": user_id, "action": action},
        body=body or {},
    )


def test_the_bootstrap_email_registers_as_admin_and_nobody_else(admin, alice):
    assert User.get(admin["user"]["id"]).is_admin is True
    assert not User.get(alice["user"]["id"]).is_admin


def test_a_request_body_cannot_make_anyone_admin(aws):
    answer = register("creator", email="sneaky@example.com", username="sneaky", isAdmin=True)
    assert answer.status == 422
    assert register("creator", email="sneaky@example.com", username="sneaky").status == 201
    assert not User.get(register_id("sneaky@example.com")).is_admin


def register_id(email: str) -> str:
    from pitchey.users.service import find_by_email

    return find_by_email(email).id


@pytest.mark.parametrize("action", ["suspend", "ban", "restore", "grant-admin"])
def test_admin_routes_refuse_non_admins(admin, alice, action):
    assert users(alice["accessToken"]).status == 403
    assert moderate(alice["accessToken"], admin["user"]["id"], action).status == 403


def test_the_user_list_is_newest_first_and_filters(admin, alice):
    listed = users(admin["accessToken"])
    assert listed.status == 200
    assert [row["username"] for row in listed.data] == ["alice", "boss"]
    assert listed.data[1]["isAdmin"] is True and listed.data[0]["status"] == "active"
    assert [row["username"] for row in users(admin["accessToken"], q="ALI").data] == ["alice"]
    assert users(admin["accessToken"], status="suspended").data == []
    assert users(admin["accessToken"], status="nonsense").status == 422


def test_suspend_ends_every_session_and_refuses_login(admin, alice):
    second = login("investor", email="alice@example.com").data
    answer = moderate(admin["accessToken"], alice["user"]["id"], "suspend", {"reason": "spam"})
    assert answer.status == 200 and answer.data["status"] == "suspended"
    for grant in (alice, second):
        assert me(grant["accessToken"]).status == 401
    refused = login("investor", email="alice@example.com")
    assert (refused.status, refused.code) == (403, "ACCOUNT_SUSPENDED")
    assert login("investor", email="alice@example.com", password="wrong-password").status == 401
    entry = next(e for e in AuditEntry.query(admin["user"]["id"]) if e.action == "admin.user_suspend")
    assert entry.target_id == alice["user"]["id"] and entry.ip_address
    assert users(admin["accessToken"], status="suspended").data[0]["id"] == alice["user"]["id"]

    assert moderate(admin["accessToken"], alice["user"]["id"], "restore").data["status"] == "active"
    assert login("investor", email="alice@example.com").status == 200


def test_ban_refuses_login_with_its_own_code(admin, alice):
    moderate(admin["accessToken"], alice["user"]["id"], "ban")
    refused = login("investor", email="alice@example.com")
    assert (refused.status, refused.code) == (403, "ACCOUNT_BANNED")


def test_grant_admin_applies_at_once_and_a_suspended_admin_is_none(admin, alice):
    assert moderate(admin["accessToken"], alice["user"]["id"], "grant-admin").data["isAdmin"] is True
    assert users(alice["accessToken"]).status == 200
    assert moderate(alice["accessToken"], admin["user"]["id"], "suspend").status == 200
    assert me(admin["accessToken"]).status == 401


def test_unknown_targets_actions_and_oneself(admin):
    assert moderate(admin["accessToken"], "nobody", "suspend").status == 404
    assert moderate(admin["accessToken"], admin["user"]["id"], "delete").status == 404
    own = moderate(admin["accessToken"], admin["user"]["id"], "suspend")
    assert (own.status, own.code) == (409, "CANNOT_MODERATE_SELF")


def audit(token: str, **query: str):
    return authed("admin/audit", "GET", "/api/admin/audit", token, query=query or None)


def test_the_audit_log_answers_by_actor_action_target_and_time(admin, alice):
    token, alice_id = admin["accessToken"], alice["user"]["id"]
    moderate(token, alice_id, "suspend", {"reason": "spam"})
    moderate(token, alice_id, "restore")
    everything = audit(token)
    assert everything.status == 200
    assert [row["action"] for row in everything.data][:2] == ["admin.user_restore", "admin.user_suspend"]
    suspended = audit(token, action="admin.user_suspend").data
    assert len(suspended) == 1 and suspended[0]["targetId"] == alice_id
    assert suspended[0]["details"]["reason"] == "spam" and suspended[0]["ipAddress"]
    about_alice = {row["action"] for row in audit(token, target=f"user:{alice_id}").data}
    assert {"auth.register", "admin.user_suspend", "admin.user_restore"} <= about_alice
    by_admin = audit(token, actor=admin["user"]["id"], action="admin.user_restore").data
    assert [row["action"] for row in by_admin] == ["admin.user_restore"]
    assert audit(token, **{"to": "2000-01-01"}).data == []
    today = everything.data[0]["at"][:10]
    assert len(audit(token, **{"from": today, "to": today}).data) == len(everything.data)
    paged = audit(token, limit="1")
    assert paged.body["metadata"]["nextCursor"]
    assert audit(token, target="nonsense").status == 422
    assert audit(token, **{"from": "yesterday"}).status == 422
    assert audit(alice["accessToken"]).status in (401, 403)


def test_the_daily_export_writes_one_day_as_json_lines_and_reruns_identically(admin, alice):
    import json

    import boto3

    from pitchey.admin import service

    moderate(admin["accessToken"], alice["user"]["id"], "suspend")
    today = service.clock.iso()[:10]
    first = service.export_audit_day(today)
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket="auditexportbucket", Key=first["key"])["Body"].read()
    assert first["key"] == f"audit/{today[:4]}/{today[5:7]}/{today[8:10]}.jsonl"
    rows = [json.loads(line) for line in body.decode().splitlines()]
    assert len(rows) == first["entries"] >= 3
    assert [row["at"] for row in rows] == sorted(row["at"] for row in rows)  # oldest first
    assert {"auth.register", "admin.user_suspend"} <= {row["action"] for row in rows}
    assert service.export_audit_day(today) == first
    assert s3.get_object(Bucket="auditexportbucket", Key=first["key"])["Body"].read() == body
    assert service.export_audit_day("2000-01-01")["entries"] == 0
    assert service.export_audit_day()["date"] < today  # default: yesterday
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        service.export_audit_day("yesterday")


def test_logins_racing_a_suspension_leave_no_live_session(admin, alice):
    from concurrent.futures import ThreadPoolExecutor

    from pitchey.auth.models import Session
    from pitchey.core import clock

    def attempt(n: int):  # four logins (under the lockout's five in-flight attempts) and the suspension
        if n == 2:
            return moderate(admin["accessToken"], alice["user"]["id"], "suspend")
        return login("investor", email="alice@example.com")

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(attempt, range(5)))
    assert answers[2].status == 200
    assert all(answer.status in (200, 403) for answer in answers), [(a.status, a.body) for a in answers]
    live = [s for s in Session.by_user.query(alice["user"]["id"]) if s.is_live() and s.ttl > clock.epoch()]
    assert live == []
    for answer in answers:
        if answer.status == 200 and "accessToken" in (answer.data or {}):
            assert me(answer.data["accessToken"]).status == 401
