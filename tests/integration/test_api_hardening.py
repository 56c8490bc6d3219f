"""Issue #18 through the local runtime: security headers on every function answer, CORS from the
AllowedOrigins Parameter, and logs free of emails, passwords, tokens, IPs and message bodies."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import httpx

from local.testing import RuntimeProcess
from pitchey.auth import totp
from tests.integration.accounts import PASSWORD, Account, mailed_token, register, verify_email

ADMIN_EMAIL = "apisec-admin@example.test"
RUNTIME_OVERRIDES = {"AdminBootstrapEmail": ADMIN_EMAIL}
DEV_ORIGIN = "http://localhost:5173"  # the AllowedOrigins default
SECURITY = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()["data"]


def assert_secured(answer: httpx.Response, cache: str = "no-store") -> None:
    assert {k: answer.headers.get(k) for k in SECURITY} == SECURITY, answer.headers
    assert answer.headers["cache-control"] == cache


# --- headers -------------------------------------------------------------------------------------------
def test_function_answers_carry_the_security_headers(runtime: RuntimeProcess) -> None:
    creator = register(runtime, "creator", verify=False)
    assert_secured(runtime.client.get("/api/health"))
    assert_secured(runtime.client.get("/api/auth/me", headers=creator.headers))  # authenticated
    assert_secured(runtime.client.get("/api/nope"))  # the $default 404 envelope
    assert_secured(runtime.client.post("/api/pitches", content=b"{", headers=creator.headers))  # 400
    bad_token = runtime.client.get("/api/auth/me", headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401
    assert_secured(bad_token)
    assert_secured(runtime.client.get("/api/payments/plans"), cache="public, max-age=300")
    assert_secured(runtime.client.get("/api/payments/plans", headers=creator.headers))


def test_gateway_answers_are_api_gateways_own(runtime: RuntimeProcess) -> None:
    """No Authorization header: HTTP API answers 401 itself, and adds no security headers (AWS cannot be
    told to); the local runtime reproduces it exactly (docs/decisions.md)."""
    answer = runtime.client.get("/api/auth/me")
    assert (answer.status_code, answer.json()) == (401, {"message": "Unauthorized"})
    assert "strict-transport-security" not in answer.headers


# --- CORS ----------------------------------------------------------------------------------------------
def test_cors_allows_the_configured_origin_only(runtime: RuntimeProcess) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    allowed = runtime.client.options("/api/pitches", headers={"Origin": DEV_ORIGIN, **preflight})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == DEV_ORIGIN
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert allowed.headers["access-control-allow-headers"] == "authorization,content-type,idempotency-key"
    stranger = runtime.client.options("/api/pitches", headers={"Origin": "https://evil.example", **preflight})
    assert stranger.status_code == 204
    assert not any(k.startswith("access-control-") for k in stranger.headers)

    read = runtime.client.get("/api/health", headers={"Origin": DEV_ORIGIN})
    assert read.headers["access-control-allow-origin"] == DEV_ORIGIN
    assert read.headers["access-control-expose-headers"] == "retry-after,x-request-id"
    assert (
        "access-control-allow-origin"
        not in runtime.client.get("/api/health", headers={"Origin": "https://evil.example"}).headers
    )


# --- logs ----------------------------------------------------------------------------------------------
def login(runtime: RuntimeProcess, portal: str, email: str) -> dict[str, Any]:
    return ok(runtime.client.post(f"/api/auth/{portal}/login", json={"email": email, "password": PASSWORD}))


def test_logs_of_every_flow_hold_no_personal_data_or_secrets(runtime: RuntimeProcess) -> None:
    client = runtime.client
    creator = register(runtime, "creator", "Cora", "Creator")
    investor = register(runtime, "investor", "Ivan", "Investor")
    producer = register(runtime, "production", company="Prod Co")
    admin_answer = ok(
        client.post(
            "/api/auth/creator/register",
            json={"email": ADMIN_EMAIL, "password": PASSWORD, "username": "apisec_admin"},
        ),
        201,
    )
    verify_email(runtime, ADMIN_EMAIL)
    admin = Account(admin_answer["user"]["id"], admin_answer["accessToken"], ADMIN_EMAIL, "admin")
    secrets: list[str] = [PASSWORD, admin.token, admin_answer["refreshToken"]]
    secrets += [a.email for a in (creator, investor, producer)] + [
        a.token for a in (creator, investor, producer)
    ]

    # auth: login, refresh, forgot-password, a wrong password
    session = login(runtime, "investor", investor.email)
    refreshed = ok(client.post("/api/auth/refresh", json={"refreshToken": session["refreshToken"]}))
    secrets += [
        session["accessToken"],
        session["refreshToken"],
        refreshed["accessToken"],
        refreshed["refreshToken"],
    ]
    ok(client.post("/api/auth/forgot-password", json={"email": investor.email}))
    wrong = client.post("/api/auth/creator/login", json={"email": creator.email, "password": "Wrong-pass-9"})
    assert wrong.status_code == 401
    secrets.append("Wrong-pass-9")

    # pitches, NDA request / approve / sign
    body = {
        "title": "Lighthouse",
        "logline": "A keeper guards a light.",
        "genre": "drama",
        "format": "feature",
        "shortSynopsis": "Short.",
        "longSynopsis": "Long, for signers.",
        "requiresNDA": True,
        "ndaType": "basic",
        "seekingInvestment": True,
        "fundingGoalCents": 100_000_000,
    }
    pitch = ok(client.post("/api/pitches", json=body, headers=creator.headers), 201)
    ok(client.put(f"/api/pitches/{pitch['id']}", json={"status": "published"}, headers=creator.headers))
    nda_note = f"nda-note-{uuid.uuid4().hex}"
    nda = ok(
        client.post(
            "/api/ndas/request", json={"pitchId": pitch["id"], "message": nda_note}, headers=investor.headers
        ),
        201,
    )
    ok(client.post(f"/api/ndas/{nda['id']}/approve", json={}, headers=creator.headers))
    signer = f"Signer {uuid.uuid4().hex[:10]}"
    ok(
        client.post(
            f"/api/ndas/{nda['id']}/sign",
            json={"signerName": signer, "accept": True},
            headers=investor.headers,
        )
    )
    secrets += [nda_note, signer]

    # messages
    message_body = f"private words {uuid.uuid4().hex}"
    sent = ok(
        client.post(
            "/api/messages/send",
            json={"recipientId": creator.id, "body": message_body},
            headers=investor.headers,
        ),
        201,
    )
    ok(client.get(f"/api/messages/conversations/{sent['conversationId']}/messages", headers=creator.headers))
    edited = f"edited words {uuid.uuid4().hex}"
    ok(client.put(f"/api/messages/{sent['id']}", json={"body": edited}, headers=investor.headers))
    secrets += [message_body, edited]

    # payments, investments
    ok(
        client.post(
            "/api/payments/credits/purchase",
            json={"pack": "pack1", "paymentMethodId": "pm_card_visa"},
            headers=creator.headers,
        ),
        201,
    )
    investment = ok(
        client.post(
            "/api/investments",
            json={"pitchId": pitch["id"], "amountCents": 200_000},
            headers=investor.headers,
        ),
        201,
    )["investment"]
    move = {"to": "due_diligence"}
    ok(client.post(f"/api/investments/{investment['id']}/transition", json=move, headers=creator.headers))

    # the verification links every registration mailed
    secrets += [mailed_token(runtime, a.email, "/api/auth/verify-email") for a in (creator, investor)]

    # follows, likes, reports, analytics, notifications, privacy export
    follow = {"targetType": "user", "targetId": creator.id}
    ok(client.post("/api/follows", json=follow, headers=investor.headers), 201)
    ok(client.post(f"/api/pitches/{pitch['id']}/like", json={}, headers=investor.headers))
    report = {"targetType": "pitch", "targetId": pitch["id"], "reason": f"report {uuid.uuid4().hex}"}
    ok(client.post("/api/reports", json=report, headers=investor.headers), 201)
    track = {"eventType": "pitch_view", "pitchId": pitch["id"], "sessionId": f"sess-{uuid.uuid4().hex}"}
    ok(client.post("/api/analytics/track", json=track, headers=investor.headers), 202)
    ok(client.get("/api/notifications", headers=creator.headers))
    ok(client.post("/api/users/me/export", json={}, headers=investor.headers), 202)
    secrets += [report["reason"], track["sessionId"]]

    # MFA: the shared secret, its URI and the backup codes
    setup = ok(client.post("/api/auth/mfa/setup", json={}, headers=producer.headers))
    code = totp.hotp(setup["secret"], totp.step(time.time()))
    enabled = ok(client.post("/api/auth/mfa/enable", json={"code": code}, headers=producer.headers))
    secrets += [setup["secret"], setup["otpauthUri"], *enabled["backupCodes"]]

    # admin
    ok(client.get("/api/admin/users", params={"q": producer.email}, headers=admin.headers))
    ok(client.post(f"/api/admin/users/{producer.id}/suspend", json={"reason": "test"}, headers=admin.headers))
    ok(client.post(f"/api/admin/users/{producer.id}/restore", json={}, headers=admin.headers))
    ok(client.get("/api/admin/audit", headers=admin.headers))

    # last, as they end sessions: change password, reset a forgotten one through its mailed link, logout
    changed = {"currentPassword": PASSWORD, "newPassword": f"Changed-{uuid.uuid4().hex[:12]}"}
    ok(client.post("/api/auth/change-password", json=changed, headers=creator.headers))
    reset_token = mailed_token(runtime, investor.email, "/api/auth/reset-password")
    new_password = f"Reset-{uuid.uuid4().hex[:12]}"
    ok(client.post("/api/auth/reset-password", json={"token": reset_token, "password": new_password}))
    ok(client.post("/api/auth/logout", json={}, headers=admin.headers))
    secrets += [changed["newPassword"], reset_token, new_password]

    # every function answered something; now read what they wrote
    function_lines = [line for _, line in runtime.function_logs()]
    assert function_lines, "the functions wrote no log lines at all: the capture is not working"
    text = runtime.logs()  # the runtime's own lines and the functions' together
    leaks = sorted({s for s in secrets if s and s.lower() in text.lower()})
    assert leaks == [], f"found in the runtime's logs: {leaks}"
    ip = re.compile(r"\b127\.0\.0\.1\b|(?<![\w:])::1(?![\w:])")
    assert [line for line in function_lines if ip.search(line)] == []
