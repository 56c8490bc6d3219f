"""Issue #11's races and realtime attacks, through a real `pitchey-local start`: parallel HTTP requests
from threads and real WebSocket clients (the default runtime: bcrypt at its deployed cost of 12)."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from local.testing import RuntimeProcess
from tests.integration.notifications_support import register

PASSWORD = "passw0rd-ok"  # notifications_support.register's


def _login(runtime: RuntimeProcess, email: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=runtime.http, timeout=60) as client:
        return client.post("/api/auth/investor/login", json={"email": email, "password": password})


# --- 1. lockout under parallel guesses ----------------------------------------------------------------------
def test_parallel_guesses_then_the_password_stay_locked(runtime: RuntimeProcess) -> None:
    victim = register(runtime, name=f"victim{uuid.uuid4().hex[:4]}")
    with ThreadPoolExecutor(12) as pool:
        guesses = [pool.submit(_login, runtime, victim.email, f"guess-{n}x1") for n in range(5)]
        time.sleep(0.1)  # sent without waiting for the answers: the guesses are still being checked
        right = pool.submit(_login, runtime, victim.email, PASSWORD)
        burst = [pool.submit(_login, runtime, victim.email, f"more-{n}x1") for n in range(6)]
        answers = [future.result() for future in guesses + burst]
        right = right.result()
    assert right.status_code == 429 and right.json()["error"]["code"] == "ACCOUNT_LOCKED"
    assert sorted(answer.status_code for answer in answers) == [401] * 5 + [429] * 6


# --- 9. concurrent refreshes --------------------------------------------------------------------------------
def test_twenty_parallel_refreshes_with_one_token_keep_the_session(runtime: RuntimeProcess) -> None:
    answer = runtime.client.post(
        "/api/auth/investor/register",
        json={"email": f"tabs-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD, "username": "tabs"},
    )
    token = answer.json()["data"]["refreshToken"]

    def refresh() -> httpx.Response:
        with httpx.Client(base_url=runtime.http, timeout=60) as client:
            return client.post("/api/auth/refresh", json={"refreshToken": token})

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: refresh(), range(20)))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 19
    winner = next(a for a in answers if a.status_code == 200).json()["data"]
    me = runtime.client.get("/api/auth/me", headers={"Authorization": f"Bearer {winner['accessToken']}"})
    assert me.status_code == 200
