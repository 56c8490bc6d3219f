"""Auth and users end to end: real HTTP through `pitchey-local start` (gateway, authorizer, workers, moto)."""

from __future__ import annotations

import concurrent.futures
import json
import time
import uuid
from typing import Any

import httpx
import pytest

from local.testing import RuntimeProcess

# bcrypt's minimum cost keeps the many registrations and logins here fast; the code path is the same.
# No grace for concurrent refreshes, so reuse detection is seen at once (the grace: test_security_review).
RUNTIME_OVERRIDES = {"BcryptRounds": "4", "RefreshReuseGraceSeconds": "0"}
PASSWORD = "corr3ct-horse"


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@Example.com"


def register(
    client: httpx.Client, portal: str = "creator", email: str | None = None, **fields: Any
) -> httpx.Response:
    body = {"email": email or unique_email(portal), "password": PASSWORD, "username": "someone", **fields}
    return client.post(f"/api/auth/{portal}/register", json=body)


def login(
    client: httpx.Client, portal: str, email: str, password: str = PASSWORD, **kwargs: Any
) -> httpx.Response:
    return client.post(f"/api/auth/{portal}/login", json={"email": email, "password": password}, **kwargs)


def bearer(token: str, user_agent: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if user_agent:
        headers["User-Agent"] = user_agent
    return headers


def error_code(response: httpx.Response) -> str | None:
    body = response.json()
    assert body["success"] is False and "timestamp" in body
    return body["error"]["code"]


@pytest.fixture
def client(runtime: RuntimeProcess) -> httpx.Client:
    return runtime.client


@pytest.fixture
def account(client: httpx.Client) -> dict[str, Any]:
    """A fresh creator: {email, user, accessToken, refreshToken, expiresIn}."""
    email = unique_email("creator")
    response = register(client, "creator", email)
    assert response.status_code == 201, response.text
    return {"email": email, **response.json()["data"]}


# --- register ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("portal", ["creator", "investor", "production"])
def test_register_on_each_portal(client, portal):
    email = unique_email(portal)
    response = register(client, portal, email, firstName="Ada", bio="Hello")
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert set(data) == {"user", "accessToken", "refreshToken", "expiresIn"}
    assert data["user"]["userType"] == portal and data["user"]["email"] == email
    assert data["user"]["firstName"] == "Ada" and "passwordHash" not in data["user"]
    me = client.get("/api/auth/me", headers=bearer(data["accessToken"]))
    assert me.status_code == 200 and me.json()["data"] == data["user"]


def test_unknown_portal_is_the_404_envelope(client):
    response = register(client, "viewer")
    assert response.status_code == 404 and error_code(response) == "NOT_FOUND"


def test_duplicate_email_in_any_case_is_409(client, account):
    again = register(client, "investor", account["email"].upper())
    assert again.status_code == 409 and error_code(again) == "EMAIL_TAKEN"


def test_concurrent_duplicate_registrations_create_one_account(runtime):
    email = unique_email("race")
    variants = [email, email.lower(), email.upper(), email.swapcase()] * 2
    with (
        httpx.Client(base_url=runtime.http, timeout=30) as client,
        concurrent.futures.ThreadPoolExecutor(len(variants)) as pool,
    ):
        responses = list(pool.map(lambda e: register(client, "creator", e), variants))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * (len(variants) - 1), [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 201).json()["data"]
        assert login(client, "creator", email.lower()).json()["data"]["user"]["id"] == winner["user"]["id"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password": "short1"}, "password"),
        ({"password": "onlyletters"}, "password"),
        ({"password": "1234567890"}, "password"),
        ({"username": "ab"}, "username"),
        ({"username": "no spaces"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"userType": "investor"}, "userType"),
        ({"subscriptionTier": "pro"}, "subscriptionTier"),
    ],
)
def test_register_validation_is_422_naming_the_field(client, changes, field):
    body = {"email": unique_email(), "password": PASSWORD, "username": "someone", **changes}
    response = client.post("/api/auth/creator/register", json=body)
    assert response.status_code == 422 and error_code(response) == "VALIDATION_ERROR"
    assert field in [d["field"] for d in response.json()["error"]["details"]]


def test_non_json_is_400_and_oversize_is_413(client):
    response = client.post(
        "/api/auth/creator/register", content=b"email=a", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and error_code(response) == "BAD_REQUEST"
    big = json.dumps({"email": unique_email(), "password": PASSWORD, "username": "abc", "bio": "x" * 2**20})
    response = client.post(
        "/api/auth/creator/register", content=big.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413 and error_code(response) == "PAYLOAD_TOO_LARGE"


# --- login ---------------------------------------------------------------------------------------------
def test_login_and_wrong_portal(client, account):
    ok = login(client, "creator", account["email"].lower())
    assert ok.status_code == 200 and ok.json()["data"]["user"] == account["user"]
    wrong_portal = login(client, "investor", account["email"])
    assert wrong_portal.status_code == 403 and error_code(wrong_portal) == "PORTAL_MISMATCH"


def test_wrong_password_and_unknown_email_look_the_same(client, account):
    wrong = login(client, "creator", account["email"], "wr0ng-password")
    unknown = login(client, "creator", unique_email("ghost"))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"] == unknown.json()["error"]


def test_lockout_after_five_failures_even_with_the_right_password(client, account):
    for _ in range(5):
        response = login(client, "creator", account["email"], "wr0ng-password")
        assert response.status_code == 401 and error_code(response) == "UNAUTHORIZED"
    locked = login(client, "creator", account["email"])
    assert locked.status_code == 429 and error_code(locked) == "ACCOUNT_LOCKED"
    assert 800 <= int(locked.headers["Retry-After"]) <= 900
    # the lock is on the email, not on the caller: another account logs in fine
    other = unique_email()
    register(client, "creator", other)
    assert login(client, "creator", other).status_code == 200


# --- refresh -------------------------------------------------------------------------------------------
def test_refresh_rotation_and_reuse_detection(client, account):
    rotated = client.post("/api/auth/refresh", json={"refreshToken": account["refreshToken"]})
    assert rotated.status_code == 200
    fresh = rotated.json()["data"]
    assert set(fresh) == {"accessToken", "refreshToken", "expiresIn"}
    assert fresh["refreshToken"] != account["refreshToken"]
    assert client.get("/api/auth/me", headers=bearer(fresh["accessToken"])).status_code == 200

    reused = client.post("/api/auth/refresh", json={"refreshToken": account["refreshToken"]})
    assert reused.status_code == 401 and error_code(reused) == "TOKEN_REUSED"
    # the whole session is gone: its newest refresh token and every access token
    again = client.post("/api/auth/refresh", json={"refreshToken": fresh["refreshToken"]})
    assert again.status_code == 401
    for token in (fresh["accessToken"], account["accessToken"]):
        response = client.get("/api/auth/me", headers=bearer(token))
        assert response.status_code == 401 and error_code(response) == "UNAUTHORIZED"


@pytest.mark.parametrize("token", ["garbage", "abc.def", "0" * 32 + ".secret"])
def test_unknown_refresh_token_is_401(client, token):
    response = client.post("/api/auth/refresh", json={"refreshToken": token})
    assert response.status_code == 401 and error_code(response) == "UNAUTHORIZED"


# --- logout and sessions -------------------------------------------------------------------------------
def test_logout_applies_at_once_on_every_route(client, account):
    headers = bearer(account["accessToken"])
    assert client.get("/api/auth/sessions", headers=headers).status_code == 200  # authorizer answer cached
    assert client.post("/api/auth/logout", headers=headers).status_code == 200  # empty body
    user_id = account["user"]["id"]
    for method, path in (
        ("GET", "/api/auth/me"),
        ("GET", "/api/auth/sessions"),
        ("GET", f"/api/users/{user_id}"),
    ):
        response = client.request(method, path, headers=headers)
        assert response.status_code == 401 and error_code(response) == "UNAUTHORIZED", path
    refused = client.post("/api/auth/refresh", json={"refreshToken": account["refreshToken"]})
    assert refused.status_code == 401


def test_logout_all_ends_every_device(client, account):
    phone = login(client, "creator", account["email"], headers={"User-Agent": "Phone/1"}).json()["data"]
    response = client.post("/api/auth/logout-all", json={}, headers=bearer(phone["accessToken"]))
    assert response.status_code == 200
    for grant in (account, phone):
        assert client.get("/api/auth/me", headers=bearer(grant["accessToken"])).status_code == 401
        refused = client.post("/api/auth/refresh", json={"refreshToken": grant["refreshToken"]})
        assert refused.status_code == 401


def test_sessions_across_two_devices(client, account):
    phone = login(client, "creator", account["email"], headers={"User-Agent": "Phone/1"}).json()["data"]
    listed = client.get("/api/auth/sessions", headers=bearer(phone["accessToken"])).json()
    assert listed["metadata"]["limit"] == 20
    sessions = listed["data"]
    assert len(sessions) == 2
    assert [s["current"] for s in sessions] == [True, False]
    assert sessions[0]["userAgent"] == "Phone/1" and sessions[0]["ipAddress"] == "127.0.0.1"
    assert set(sessions[0]) == {"id", "createdAt", "lastUsedAt", "userAgent", "ipAddress", "current"}

    laptop_session = sessions[1]["id"]
    revoked = client.delete(f"/api/auth/sessions/{laptop_session}", headers=bearer(phone["accessToken"]))
    assert revoked.status_code == 200
    assert client.get("/api/auth/me", headers=bearer(account["accessToken"])).status_code == 401
    remaining = client.get("/api/auth/sessions", headers=bearer(phone["accessToken"])).json()["data"]
    assert [s["id"] for s in remaining] == [sessions[0]["id"]]


def test_revoking_another_users_session_is_404(client, account):
    other = register(client, "investor").json()["data"]
    their_session = other["refreshToken"].split(".")[0]
    response = client.delete(f"/api/auth/sessions/{their_session}", headers=bearer(account["accessToken"]))
    assert response.status_code == 404 and error_code(response) == "NOT_FOUND"
    assert client.get("/api/auth/me", headers=bearer(other["accessToken"])).status_code == 200


# --- tokens --------------------------------------------------------------------------------------------
def test_no_token_is_the_gateway_401_and_a_bad_one_the_envelope(client, account):
    bare = client.get("/api/auth/me")
    assert (bare.status_code, bare.json()) == (401, {"message": "Unauthorized"})
    token = account["accessToken"]
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload[:-4]}AAAA.{signature}"
    for bad in (tampered, token[:-3] + "abc", "not-a-jwt"):
        response = client.get("/api/auth/me", headers=bearer(bad))
        assert response.status_code == 401 and error_code(response) == "UNAUTHORIZED"


def test_expired_access_token_is_401_token_expired(start_runtime):
    short = start_runtime({"AccessTokenTtlSeconds": "1", "BcryptRounds": "4"})
    grant = register(short.client, "creator").json()["data"]
    assert grant["expiresIn"] == 1
    time.sleep(2.1)
    response = short.client.get("/api/auth/me", headers=bearer(grant["accessToken"]))
    assert response.status_code == 401 and error_code(response) == "TOKEN_EXPIRED"
    refreshed = short.client.post("/api/auth/refresh", json={"refreshToken": grant["refreshToken"]})
    assert refreshed.status_code == 200


def test_auth_endpoints_are_rate_limited_per_ip(start_runtime):
    limited = start_runtime({"AuthRateLimitPerMinute": "3", "BcryptRounds": "4"})
    if time.time() % 60 > 50:  # keep the four calls inside one fixed one-minute window
        time.sleep(61 - time.time() % 60)
    email = unique_email()
    grant = register(limited.client, "creator", email).json()["data"]
    assert login(limited.client, "creator", email).status_code == 200
    assert (
        limited.client.post("/api/auth/refresh", json={"refreshToken": grant["refreshToken"]}).status_code
        == 200
    )
    refused = login(limited.client, "creator", email)
    assert refused.status_code == 429 and error_code(refused) == "RATE_LIMITED"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


# --- profiles ------------------------------------------------------------------------------------------
def test_profile_privacy_and_editing(client, account):
    other = register(client, "investor", companyName="Fund").json()["data"]
    public = client.get(f"/api/users/{other['user']['id']}", headers=bearer(account["accessToken"]))
    assert public.status_code == 200
    assert "email" not in public.json()["data"] and public.json()["data"]["companyName"] == "Fund"
    assert client.get("/api/users/" + "0" * 32, headers=bearer(account["accessToken"])).status_code == 404

    headers = bearer(account["accessToken"])
    updated = client.put(
        "/api/users/me", json={"bio": "New bio", "avatarUrl": "https://x.example/a.png"}, headers=headers
    )
    assert updated.status_code == 200 and updated.json()["data"]["bio"] == "New bio"
    for field in ("email", "userType", "subscriptionTier", "password", "id"):
        refused = client.put("/api/users/me", json={field: "x"}, headers=headers)
        assert refused.status_code == 422 and error_code(refused) == "VALIDATION_ERROR", field
    assert (
        client.put("/api/users/me", json={"avatarUrl": "javascript:alert(1)"}, headers=headers).status_code
        == 422
    )
    assert client.get("/api/auth/me", headers=headers).json()["data"]["email"] == account["email"]
