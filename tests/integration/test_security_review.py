"""Issue #11's races and realtime attacks, through a real `pitchey-local start`: parallel HTTP requests
from threads and real WebSocket clients."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from local.testing import RuntimeProcess
from tests.integration.accounts import PASSWORD, register
from tests.integration.notifications_support import receive, request_reply, ws_connect
from tests.integration.test_realtime_pitches import create_pitch

# bcrypt's minimum cost: at 12 a shared CI core needs seconds per check and parallel logins time out.
RUNTIME_OVERRIDES = {"BcryptRounds": "4"}


def _login(runtime: RuntimeProcess, email: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=runtime.http, timeout=60) as client:
        return client.post("/api/auth/investor/login", json={"email": email, "password": password})


# --- 1. lockout under parallel guesses ----------------------------------------------------------------------
def _reserved_attempts(runtime: RuntimeProcess, email: str) -> int:
    """The lockout counter of `email` as stored (pitchey.auth.lockout: one reservation per attempt)."""
    item = runtime.boto3("dynamodb").get_item(
        TableName="RateLimitsTable", Key={"key": {"S": f"login-fail#{email}"}}, ConsistentRead=True
    )
    return int(item.get("Item", {}).get("count", {"N": "0"})["N"])


def test_parallel_guesses_then_the_password_stay_locked(runtime: RuntimeProcess) -> None:
    victim = register(runtime, "investor", "Victim")
    with ThreadPoolExecutor(12) as pool:
        # warm the login function's workers first (an unknown email: nobody's lockout), so the attack below
        # measures the lockout rather than cold starts
        list(
            pool.map(lambda _: _login(runtime, f"warm-{uuid.uuid4().hex}@example.com", "x1x1x1x1"), range(4))
        )
        guesses = [pool.submit(_login, runtime, victim.email, f"guess-{n}x1") for n in range(5)]
        # The right password goes in once the five guesses hold their reservations, whether or not their
        # checks have answered: sent any earlier, it could legitimately be one of the five checked.
        deadline = time.monotonic() + 30
        while _reserved_attempts(runtime, victim.email) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
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


# --- 2. deeply nested JSON ----------------------------------------------------------------------------------
def test_deeply_nested_json_over_http_and_websocket(runtime: RuntimeProcess) -> None:
    for path in ("/api/auth/investor/login", "/api/pitches"):
        answer = runtime.client.post(path, content="[" * 990, headers={"Content-Type": "application/json"})
        assert answer.status_code in (400, 401, 404), (path, answer.text)
        assert answer.status_code != 500
    login = runtime.client.post("/api/auth/investor/login", content="[" * 990)
    assert login.status_code == 400 and login.json()["error"]["code"] == "BAD_REQUEST"
    alice = register(runtime, "investor")
    with ws_connect(runtime, alice.token) as ws:
        ws.send("[" * 990)
        error = json.loads(ws.recv(timeout=5))
        assert error["type"] == "error" and error["data"]["code"] == "BAD_REQUEST"
        assert request_reply(ws, {"action": "ping"})["type"] == "pong"  # the gateway lives on


# --- 3. a logged-out session's socket --------------------------------------------------------------------
def test_a_logged_out_socket_stops_hearing_the_channel_at_once(runtime: RuntimeProcess) -> None:
    creator = register(runtime, "creator", "Owner")
    alice, bob = register(runtime, "investor", "Alice"), register(runtime, "investor", "Bob")
    pitch_id = create_pitch(runtime, creator)
    follow = {"targetType": "pitch", "targetId": pitch_id}  # a follower, so a change is notified at all
    assert runtime.client.post("/api/follows", json=follow, headers=alice.headers).status_code == 201
    channel = {"action": "subscribe", "channel": f"pitch:{pitch_id}"}
    with ws_connect(runtime, alice.token) as alice_ws, ws_connect(runtime, bob.token) as bob_ws:
        for ws in (alice_ws, bob_ws):
            ws.send(json.dumps(channel))
            assert request_reply(ws, {"action": "ping"})["type"] == "pong"
        assert runtime.client.post("/api/auth/logout", headers=bob.headers).status_code == 200
        alice_ws.send(json.dumps({"action": "typing", "channel": f"pitch:{pitch_id}", "isTyping": True}))
        change = {"logline": "A heist on rails, at dawn."}
        assert (
            runtime.client.put(f"/api/pitches/{pitch_id}", json=change, headers=creator.headers).status_code
            == 200
        )
        assert receive(alice_ws, lambda f: f["type"] == "pitch_update", timeout=15)  # the channel works…
        with pytest.raises((TimeoutError, ConnectionClosed)):  # …but not for bob: nothing, or closed
            receive(bob_ws, lambda f: f["type"] in ("typing", "pitch_update"), timeout=1.5)


# --- 7. channel frames --------------------------------------------------------------------------------------
def test_a_subscribed_follower_gets_one_channel_event_per_change(runtime: RuntimeProcess) -> None:
    creator = register(runtime, "creator", "Owner")
    fan, watcher = register(runtime, "investor", "Fan"), register(runtime, "investor", "Watcher")
    pitch_id = create_pitch(runtime, creator)
    follow = {"targetType": "pitch", "targetId": pitch_id}
    assert runtime.client.post("/api/follows", json=follow, headers=fan.headers).status_code == 201
    channel = {"action": "subscribe", "channel": f"pitch:{pitch_id}"}
    with ws_connect(runtime, fan.token) as fan_ws, ws_connect(runtime, watcher.token) as watcher_ws:
        for ws in (fan_ws, watcher_ws):
            ws.send(json.dumps(channel))
            assert request_reply(ws, {"action": "ping"})["type"] == "pong"
        change = {"logline": "A heist on rails, at noon."}
        assert (
            runtime.client.put(f"/api/pitches/{pitch_id}", json=change, headers=creator.headers).status_code
            == 200
        )
        for ws in (fan_ws, watcher_ws):
            frame = receive(ws, lambda f: f["type"] == "pitch_update", timeout=15)
            assert frame["channel"] == f"pitch:{pitch_id}"
            assert set(frame["data"]) == {"pitchId", "title", "body", "data", "at"}  # no notification id
            with pytest.raises(TimeoutError):  # and no second copy of the same change
                receive(ws, lambda f: f["type"] == "pitch_update", timeout=1.5)
    notes = runtime.client.get("/api/notifications", headers=fan.headers).json()["data"]
    assert [n["type"] for n in notes].count("pitch_update") == 1  # the fan's history still has it
