"""Admin and moderation through the local runtime: the bootstrap admin, 403 for everyone else, suspension
ending sessions, login and open WebSockets at once."""

from __future__ import annotations

import time

import pytest
from websockets.exceptions import ConnectionClosed

from local.testing import RuntimeProcess
from tests.integration.accounts import PASSWORD, Account, register
from tests.integration.notifications_support import request_reply, ws_connect
from tests.integration.test_realtime_pitches import create_pitch

ADMIN_EMAIL = "it-admin@example.test"
RUNTIME_OVERRIDES = {"AdminBootstrapEmail": ADMIN_EMAIL}

ADMIN_ROUTES = [
    ("GET", "/api/admin/users"),
    ("POST", "/api/admin/users/{id}/suspend"),
    ("POST", "/api/admin/users/{id}/ban"),
    ("POST", "/api/admin/users/{id}/restore"),
    ("POST", "/api/admin/users/{id}/grant-admin"),
    ("GET", "/api/admin/reports"),
    ("POST", "/api/admin/reports/{id}/resolve"),
    ("POST", "/api/admin/pitches/{id}/feature"),
    ("DELETE", "/api/admin/pitches/{id}/feature"),
    ("GET", "/api/admin/audit"),
    ("POST", "/api/admin/broadcast"),
]


@pytest.fixture(scope="module")
def admin(runtime: RuntimeProcess) -> Account:
    body = {"email": ADMIN_EMAIL, "password": PASSWORD, "username": "it_admin"}
    answer = runtime.client.post("/api/auth/creator/register", json=body)
    if answer.status_code == 409:  # a runtime shared with an earlier module: sign in instead
        answer = runtime.client.post("/api/auth/creator/login", json=body)
    assert answer.status_code in (200, 201), answer.text
    data = answer.json()["data"]
    return Account(data["user"]["id"], data["accessToken"], ADMIN_EMAIL, "it_admin")


def call(runtime: RuntimeProcess, method: str, route: str, who: Account, target: str, json=None):
    return runtime.client.request(method, route.format(id=target), headers=who.headers, json=json)


def login(runtime: RuntimeProcess, account: Account, portal: str = "investor"):
    return runtime.client.post(
        f"/api/auth/{portal}/login", json={"email": account.email, "password": PASSWORD}
    )


@pytest.mark.parametrize(("method", "route"), ADMIN_ROUTES)
def test_admin_routes_refuse_everyone_else(runtime: RuntimeProcess, admin: Account, method, route) -> None:
    target = register(runtime, "investor")
    for portal in ("creator", "investor", "production"):
        someone = register(runtime, portal)
        assert call(runtime, method, route, someone, target.id).status_code == 403
    assert runtime.client.request(method, route.format(id=target.id)).status_code == 401


def test_the_bootstrap_admin_lists_and_grants(runtime: RuntimeProcess, admin: Account) -> None:
    fresh = register(runtime, "production")
    listed = call(runtime, "GET", "/api/admin/users?limit=5", admin, "")
    assert listed.status_code == 200, listed.text
    assert listed.json()["data"][0]["id"] == fresh.id  # newest first
    found = call(runtime, "GET", f"/api/admin/users?q={fresh.email.split('@')[0].upper()}", admin, "")
    assert [row["id"] for row in found.json()["data"]] == [fresh.id]

    granted = call(runtime, "POST", "/api/admin/users/{id}/grant-admin", admin, fresh.id)
    assert granted.status_code == 200 and granted.json()["data"]["isAdmin"] is True
    assert call(runtime, "GET", "/api/admin/users", fresh, "").status_code == 200


def test_suspend_kills_sessions_websockets_and_login_at_once(runtime: RuntimeProcess, admin: Account) -> None:
    alice = register(runtime, "investor")
    second = login(runtime, alice).json()["data"]["accessToken"]
    with ws_connect(runtime, alice.token) as ws:
        assert request_reply(ws, {"action": "ping"})["type"] == "pong"
        answer = call(runtime, "POST", "/api/admin/users/{id}/suspend", admin, alice.id, {"reason": "spam"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"]["status"] == "suspended"
        # The socket is closed by the server (not merely ignored): recv ends with ConnectionClosed.
        with pytest.raises(ConnectionClosed):
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                ws.recv(timeout=deadline - time.monotonic())
    for token in (alice.token, second):
        assert (
            runtime.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
            == 401
        )
    refused = login(runtime, alice)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "ACCOUNT_SUSPENDED"

    restored = call(runtime, "POST", "/api/admin/users/{id}/restore", admin, alice.id)
    assert restored.json()["data"]["status"] == "active"
    assert login(runtime, alice).status_code == 200


def test_a_hidden_pitch_disappears_for_others(runtime: RuntimeProcess, admin: Account) -> None:
    owner, reader = register(runtime, "creator"), register(runtime, "investor")
    pitch_id = create_pitch(runtime, owner)
    body = {"targetType": "pitch", "targetId": pitch_id, "reason": "Stolen script"}
    made = runtime.client.post("/api/reports", json=body, headers=reader.headers)
    assert made.status_code == 201, made.text
    report_id = made.json()["data"]["id"]
    queue = call(runtime, "GET", "/api/admin/reports?limit=100", admin, "").json()["data"]
    assert report_id in [row["id"] for row in queue]

    resolved = call(runtime, "POST", "/api/admin/reports/{id}/resolve", admin, report_id, {"action": "hide"})
    assert resolved.status_code == 200, resolved.text
    assert runtime.client.get(f"/api/pitches/{pitch_id}", headers=reader.headers).status_code == 404
    assert runtime.client.get(f"/api/pitches/{pitch_id}").status_code == 404
    mine = runtime.client.get(f"/api/pitches/{pitch_id}", headers=owner.headers)
    assert mine.json()["data"]["status"] == "hidden"
    browsed = runtime.client.get("/api/pitches/browse?limit=100").json()["data"]
    assert pitch_id not in [pitch["id"] for pitch in browsed]


def test_featured_pitches_lead_browse(runtime: RuntimeProcess, admin: Account) -> None:
    owner = register(runtime, "creator")
    older, newer = create_pitch(runtime, owner), create_pitch(runtime, owner)
    assert call(runtime, "POST", "/api/admin/pitches/{id}/feature", admin, older).status_code == 200
    first = runtime.client.get("/api/pitches/browse?sort=featured&limit=1").json()["data"]
    assert [pitch["id"] for pitch in first] == [older]
    listed = [
        p["id"] for p in runtime.client.get("/api/pitches/browse?sort=featured&limit=100").json()["data"]
    ]
    assert listed.index(older) < listed.index(newer)
    assert call(runtime, "DELETE", "/api/admin/pitches/{id}/feature", admin, older).status_code == 200
    listed = [
        p["id"] for p in runtime.client.get("/api/pitches/browse?sort=featured&limit=100").json()["data"]
    ]
    assert listed.index(newer) < listed.index(older)


def test_broadcast_reaches_users_asynchronously(runtime: RuntimeProcess, admin: Account) -> None:
    people = [register(runtime, portal) for portal in ("creator", "investor")]
    body = {"title": "Maintenance tonight", "body": "Read-only 02:00-03:00 UTC"}
    answer = call(runtime, "POST", "/api/admin/broadcast", admin, "", body)
    assert answer.status_code == 202, answer.text
    for person in [admin, *people]:
        deadline = time.monotonic() + 20
        while True:
            inbox = runtime.client.get("/api/notifications", headers=person.headers).json()["data"]
            found = [n for n in inbox if n["type"] == "system" and n["title"] == body["title"]]
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(found) == 1 and found[0]["body"] == body["body"]
    assert call(runtime, "POST", "/api/admin/broadcast", people[0], "", body).status_code == 403


def test_the_audit_export_schedule_writes_yesterday_idempotently(
    runtime: RuntimeProcess, admin: Account
) -> None:
    first = runtime.run_schedule("AuditExportSchedule")
    assert first["error"] is None, first
    key = first["payload"]["key"]
    s3 = runtime.boto3("s3")
    body = s3.get_object(Bucket="auditexportbucket", Key=key)["Body"].read()
    again = runtime.run_schedule("AuditExportSchedule")
    assert again["payload"] == first["payload"]
    assert s3.get_object(Bucket="auditexportbucket", Key=key)["Body"].read() == body
