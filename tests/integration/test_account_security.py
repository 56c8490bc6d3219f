"""Account security through the local runtime: the mailed verification and reset links (read from
/_local/emails, pointing at the runtime itself), single-use tokens under races, no account enumeration,
sessions dying on reset and change, and the EMAIL_NOT_VERIFIED guard."""

from __future__ import annotations

import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from local.testing import RuntimeProcess
from pitchey.auth import totp
from tests.integration.accounts import PASSWORD, mailed_token, register, verify_email

NEW_PASSWORD = "Integration-new-2"


def error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


def login(runtime: RuntimeProcess, email: str, password: str = PASSWORD) -> httpx.Response:
    return runtime.client.post("/api/auth/creator/login", json={"email": email, "password": password})


def test_verification_link_points_at_the_runtime_and_works_once(runtime: RuntimeProcess) -> None:
    alice = register(runtime, "creator", verify=False)
    token = mailed_token(runtime, alice.email, "/api/auth/verify-email")
    assert f"{runtime.http}/api/auth/verify-email?token=" in runtime.emails(to=alice.email)[-1]["text"]
    me = runtime.client.get("/api/auth/me", headers=alice.headers).json()["data"]
    assert me["emailVerified"] is False and me["mfaEnabled"] is False

    with ThreadPoolExecutor(4) as pool:  # four clicks of one link at once: one verifies
        answers = list(
            pool.map(lambda _: runtime.client.post("/api/auth/verify-email", json={"token": token}), range(4))
        )
    assert sorted(a.status_code for a in answers) == [200, 400, 400, 400]
    assert all(error_code(a) == "INVALID_TOKEN" for a in answers if a.status_code == 400)
    assert runtime.client.get("/api/auth/me", headers=alice.headers).json()["data"]["emailVerified"] is True
    unknown = runtime.client.post("/api/auth/verify-email", json={"token": f"{'0' * 32}.{'x' * 43}"})
    assert unknown.status_code == 400 and error_code(unknown) == "INVALID_TOKEN"


def test_resend_is_limited_to_one_mail_a_minute(runtime: RuntimeProcess) -> None:
    bob = register(runtime, "investor", verify=False)
    answer = runtime.client.post("/api/auth/resend-verification", headers=bob.headers)
    assert answer.status_code == 429 and 1 <= int(answer.headers["Retry-After"]) <= 60
    assert runtime.client.post("/api/auth/resend-verification").status_code == 401


def test_unverified_users_cannot_message_until_they_verify(runtime: RuntimeProcess) -> None:
    newcomer, other = register(runtime, "investor", verify=False), register(runtime, "creator")
    body = {"recipientId": other.id, "body": "hello"}
    refused = runtime.client.post("/api/messages/send", json=body, headers=newcomer.headers)
    assert refused.status_code == 403 and error_code(refused) == "EMAIL_NOT_VERIFIED"
    verify_email(runtime, newcomer.email)
    sent = runtime.client.post("/api/messages/send", json=body, headers=newcomer.headers)  # same token
    assert sent.status_code == 201, sent.text


def test_forgot_password_does_not_tell_whether_an_account_exists(runtime: RuntimeProcess) -> None:
    known = register(runtime, "creator")
    for _ in range(2):  # warm both paths
        runtime.client.post("/api/auth/forgot-password", json={"email": known.email})
        runtime.client.post("/api/auth/forgot-password", json={"email": f"{uuid.uuid4().hex}@example.test"})
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    bodies: dict[str, set[str]] = {"known": set(), "unknown": set()}
    for _ in range(8):
        for kind, email in (("known", known.email), ("unknown", f"{uuid.uuid4().hex}@example.test")):
            started = time.perf_counter()
            answer = runtime.client.post("/api/auth/forgot-password", json={"email": email})
            times[kind].append(time.perf_counter() - started)
            assert answer.status_code == 200
            bodies[kind].add(str(answer.json()["data"]))
    assert bodies["known"] == bodies["unknown"] and len(bodies["known"]) == 1
    known_median, unknown_median = statistics.median(times["known"]), statistics.median(times["unknown"])
    assert abs(known_median - unknown_median) < max(0.05, 0.5 * max(known_median, unknown_median)), times


def test_reset_ends_every_session_and_its_link_works_once(runtime: RuntimeProcess) -> None:
    carol = register(runtime, "creator")
    second = login(runtime, carol.email).json()["data"]
    assert runtime.client.post("/api/auth/forgot-password", json={"email": carol.email}).status_code == 200
    token = mailed_token(runtime, carol.email, "/api/auth/reset-password")

    body = {"token": token, "password": NEW_PASSWORD}
    with ThreadPoolExecutor(3) as pool:
        answers = list(
            pool.map(lambda _: runtime.client.post("/api/auth/reset-password", json=body), range(3))
        )
    assert sorted(a.status_code for a in answers) == [200, 400, 400]
    assert runtime.client.get("/api/auth/me", headers=carol.headers).status_code == 401
    assert (
        runtime.client.post("/api/auth/refresh", json={"refreshToken": second["refreshToken"]}).status_code
        == 401
    )
    assert login(runtime, carol.email).status_code == 401
    assert login(runtime, carol.email, NEW_PASSWORD).status_code == 200


def test_change_password_ends_the_other_sessions(runtime: RuntimeProcess) -> None:
    dave = register(runtime, "creator")
    other = login(runtime, dave.email).json()["data"]
    wrong = {"currentPassword": "Not-the-password-1", "newPassword": NEW_PASSWORD}
    assert (
        runtime.client.post("/api/auth/change-password", json=wrong, headers=dave.headers).status_code == 401
    )
    right = {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}
    answer = runtime.client.post("/api/auth/change-password", json=right, headers=dave.headers)
    assert answer.status_code == 200 and answer.json()["data"]["revokedSessions"] == 1
    assert runtime.client.get("/api/auth/me", headers=dave.headers).status_code == 200
    other_headers = {"Authorization": f"Bearer {other['accessToken']}"}
    assert runtime.client.get("/api/auth/me", headers=other_headers).status_code == 401
    assert (
        runtime.client.post("/api/auth/refresh", json={"refreshToken": other["refreshToken"]}).status_code
        == 401
    )
    assert login(runtime, dave.email, NEW_PASSWORD).status_code == 200


def test_mfa_login_needs_the_second_factor(runtime: RuntimeProcess) -> None:
    erin = register(runtime, "creator")
    setup = runtime.client.post("/api/auth/mfa/setup", headers=erin.headers).json()["data"]
    assert setup["otpauthUri"].startswith("otpauth://totp/Pitchey:")
    now_step = totp.step(time.time())
    enabled = runtime.client.post(
        "/api/auth/mfa/enable", json={"code": totp.hotp(setup["secret"], now_step)}, headers=erin.headers
    )
    assert enabled.status_code == 200, enabled.text
    backup = enabled.json()["data"]["backupCodes"]

    answer = login(runtime, erin.email).json()["data"]
    assert answer == {"mfaRequired": True, "challengeToken": answer["challengeToken"]}
    for _ in range(5):
        wrong = runtime.client.post(
            "/api/auth/mfa/verify", json={"challengeToken": answer["challengeToken"], "code": "99999999"}
        )
        assert wrong.status_code == 401
    dead = runtime.client.post(
        "/api/auth/mfa/verify", json={"challengeToken": answer["challengeToken"], "code": backup[0]}
    )
    assert dead.status_code == 400 and error_code(dead) == "INVALID_TOKEN"

    challenge = login(runtime, erin.email).json()["data"]["challengeToken"]
    code = totp.hotp(setup["secret"], now_step + 1)
    granted = runtime.client.post("/api/auth/mfa/verify", json={"challengeToken": challenge, "code": code})
    assert granted.status_code == 200 and set(granted.json()["data"]) == {
        "user",
        "accessToken",
        "refreshToken",
        "expiresIn",
    }
    second = login(runtime, erin.email).json()["data"]["challengeToken"]
    via_backup = runtime.client.post(
        "/api/auth/mfa/verify", json={"challengeToken": second, "code": backup[0]}
    )
    assert via_backup.status_code == 200
    third = login(runtime, erin.email).json()["data"]["challengeToken"]
    reused = runtime.client.post("/api/auth/mfa/verify", json={"challengeToken": third, "code": backup[0]})
    assert reused.status_code == 401 and error_code(reused) == "INVALID_MFA_CODE"
