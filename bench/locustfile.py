"""Load scenario (issue #22): creators publish and update pitches, investors browse, open pitches, request
NDAs, invest and chat; everyone holds a WebSocket for the whole run. `make bench` runs it through
bench/bench_load.py against a runtime it starts on free ports; by hand:

    locust -f bench/locustfile.py --headless -u 20 -r 4 -t 2m --host http://127.0.0.1:PORT

with LOAD_WS_URL=ws://127.0.0.1:WS_PORT (and the runtime started with high rate limits, starter credits and
BcryptRounds=4, as bench_load does). Every user registers and verifies its email through the API (the captured
mail, `/_local/emails`), so only a local runtime can be the host.

Locust's gevent makes the blocking websocket-client cooperative: each user's socket has a reader greenlet that
answers nothing but counts frames; a dropped socket is a failure ("WS" / "dropped"). Request names group ids
(`/api/pitches/[id]`) so the figures are per endpoint.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import uuid
from typing import Any

import gevent
import websocket
from locust import HttpUser, between, events, task

PASSWORD = "Load-test-pass-1"  # noqa: S105 (accounts of a local runtime, gone when it stops)
WS_URL = os.environ.get("LOAD_WS_URL", "")
FRAMES = {"received": 0, "dropped": 0}
# Published pitches everyone can act on: {id, creatorId, requiresNDA}. Shared by the users of this process.
PITCHES: list[dict[str, Any]] = []
_TOKEN = re.compile(r"/api/auth/verify-email\?token=([A-Za-z0-9_.%-]+)")
GOAL_CENTS = 1_000_000_000  # room for every investment of a run
INVEST_CENTS = 100_000  # the default minimum


def _pitch_body(number: int, requires_nda: bool) -> dict[str, Any]:
    return {
        "title": f"Load pitch {number}",
        "logline": "A lighthouse keeper hides a secret.",
        "genre": random.choice(["drama", "thriller", "comedy"]),
        "format": "feature",
        "shortSynopsis": "A storm, a keeper, a ship.",
        "longSynopsis": "The long version, behind the NDA when one is required.",
        "seekingInvestment": not requires_nda,
        "fundingGoalCents": GOAL_CENTS,
        "requiresNDA": requires_nda,
    }


def _check(response: Any, *expected: int) -> Any:
    """Locust's catch_response: anything but the expected statuses is a failure with the error code."""
    if response.status_code not in expected:
        try:
            code = response.json()["error"]["code"]
        except Exception:
            code = response.text[:120]
        response.failure(f"{response.status_code} {code}")
        return None
    response.success()
    return response.json().get("data") if response.content else None


class PitcheyUser(HttpUser):
    abstract = True
    portal = "investor"
    wait_time = between(1, 3)

    def on_start(self) -> None:
        username = f"{self.portal[:4]}_{uuid.uuid4().hex[:12]}"
        self.email = f"{username}@example.test"
        body = {"email": self.email, "password": PASSWORD, "username": username}
        with self.client.post(
            f"/api/auth/{self.portal}/register", json=body, name="setup: register", catch_response=True
        ) as response:
            data = _check(response, 201)
        if data is None:
            self.stop()
            return
        self.id, self.token = data["user"]["id"], data["accessToken"]
        self.client.headers["Authorization"] = f"Bearer {self.token}"
        self._verify_email()
        self.socket: websocket.WebSocket | None = None
        self.reader: gevent.Greenlet | None = None
        if WS_URL:
            self._connect()

    def _verify_email(self) -> None:
        for _ in range(100):
            mails = self.client.get("/_local/emails", params={"to": self.email}, name="setup: mailbox").json()
            found = [m.group(1) for mail in mails if (m := _TOKEN.search(mail.get("text") or ""))]
            if found:
                with self.client.post(
                    "/api/auth/verify-email",
                    json={"token": found[-1]},
                    name="setup: verify email",
                    catch_response=True,
                ) as response:
                    _check(response, 200)
                return
            gevent.sleep(0.1)

    def _connect(self) -> None:
        started = time.perf_counter()
        try:
            self.socket = websocket.create_connection(f"{WS_URL}/?token={self.token}", timeout=30)
        except Exception as error:
            events.request.fire(
                request_type="WS",
                name="connect",
                response_time=(time.perf_counter() - started) * 1000,
                response_length=0,
                exception=error,
            )
            return
        events.request.fire(
            request_type="WS",
            name="connect",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=None,
        )
        self.reader = gevent.spawn(self._read, self.socket)

    def _read(self, socket: websocket.WebSocket) -> None:
        socket.settimeout(None)
        last_ping = time.monotonic()
        try:
            while True:
                if time.monotonic() - last_ping > 30:  # holds the socket the way a client's keep-alive does
                    socket.send(json.dumps({"action": "ping"}))
                    last_ping = time.monotonic()
                socket.settimeout(30)
                try:
                    frame = socket.recv()
                except websocket.WebSocketTimeoutException:
                    continue
                if not frame:
                    raise ConnectionError("closed by the server")
                FRAMES["received"] += 1
        except gevent.GreenletExit:
            raise
        except Exception as error:
            if self.socket is socket:  # not our own close at the end
                FRAMES["dropped"] += 1
                events.request.fire(
                    request_type="WS", name="dropped", response_time=0, response_length=0, exception=error
                )

    def on_stop(self) -> None:
        socket, self.socket = getattr(self, "socket", None), None
        if getattr(self, "reader", None) is not None:
            self.reader.kill(block=False)
        if socket is not None:
            socket.close()

    def _get(self, path: str, name: str, **params: Any) -> Any:
        with self.client.get(path, params=params or None, name=name, catch_response=True) as response:
            return _check(response, 200)

    def browse(self) -> None:
        self._get("/api/pitches/browse", "/api/pitches/browse", limit="10")

    def open_pitch(self) -> None:
        if PITCHES:
            self._get(f"/api/pitches/{random.choice(PITCHES)['id']}", "/api/pitches/[id]")


class Creator(PitcheyUser):
    portal = "creator"
    weight = 1

    def on_start(self) -> None:
        super().on_start()
        self.mine: list[str] = []
        self.publish()

    @task(1)
    def publish(self) -> None:
        requires_nda = random.random() < 0.5
        with self.client.post(
            "/api/pitches",
            json=_pitch_body(len(self.mine), requires_nda),
            name="/api/pitches",
            catch_response=True,
        ) as response:
            created = _check(response, 201)
        if created is None:
            return
        with self.client.put(
            f"/api/pitches/{created['id']}",
            json={"status": "published"},
            name="/api/pitches/[id] (publish)",
            catch_response=True,
        ) as response:
            if _check(response, 200) is not None:
                self.mine.append(created["id"])
                PITCHES.append({"id": created["id"], "creatorId": self.id, "requiresNDA": requires_nda})

    @task(3)
    def update(self) -> None:
        if not self.mine:
            return
        pitch_id = random.choice(self.mine)
        with self.client.put(
            f"/api/pitches/{pitch_id}",
            json={"logline": f"A keeper hides secret number {random.randint(1, 10**6)}."},
            name="/api/pitches/[id] (update)",
            catch_response=True,
        ) as response:
            _check(response, 200)

    @task(3)
    def my_pitches(self) -> None:
        self._get("/api/pitches/my", "/api/pitches/my")

    @task(2)
    def nda_requests(self) -> None:
        self._get("/api/ndas/incoming-requests", "/api/ndas/incoming-requests")

    @task(2)
    def notifications(self) -> None:
        self._get("/api/notifications", "/api/notifications")

    @task(2)
    def browse_too(self) -> None:
        self.browse()


class Investor(PitcheyUser):
    portal = "investor"
    weight = 3

    def on_start(self) -> None:
        super().on_start()
        self.requested: set[str] = set()
        self.invested: set[str] = set()

    @task(6)
    def browse_pitches(self) -> None:
        self.browse()

    @task(6)
    def open_a_pitch(self) -> None:
        self.open_pitch()

    @task(1)
    def request_nda(self) -> None:
        open_to_me = [p for p in PITCHES if p["requiresNDA"] and p["id"] not in self.requested]
        if not open_to_me:
            return self.browse()
        pitch = random.choice(open_to_me)
        self.requested.add(pitch["id"])
        with self.client.post(
            "/api/ndas/request",
            json={"pitchId": pitch["id"], "message": "We would like to read the full pitch."},
            name="/api/ndas/request",
            catch_response=True,
        ) as response:
            _check(response, 201)

    @task(1)
    def invest(self) -> None:
        open_to_me = [p for p in PITCHES if not p["requiresNDA"] and p["id"] not in self.invested]
        if not open_to_me:
            return self.browse()
        pitch = random.choice(open_to_me)
        self.invested.add(pitch["id"])
        with self.client.post(
            "/api/investments",
            json={"pitchId": pitch["id"], "amountCents": INVEST_CENTS, "terms": "Standard terms."},
            name="/api/investments",
            catch_response=True,
        ) as response:
            _check(response, 201)

    @task(2)
    def chat(self) -> None:
        if not PITCHES:
            return
        pitch = random.choice(PITCHES)
        with self.client.post(
            "/api/messages/send",
            json={"recipientId": pitch["creatorId"], "body": f"About {pitch['id']}: can we talk?"},
            name="/api/messages/send",
            catch_response=True,
        ) as response:
            _check(response, 201)

    @task(2)
    def conversations(self) -> None:
        self._get("/api/messages/conversations", "/api/messages/conversations")

    @task(1)
    def portfolio(self) -> None:
        self._get("/api/investments/portfolio", "/api/investments/portfolio")


@events.test_stop.add_listener
def _frames(environment: Any, **_: Any) -> None:
    out = os.environ.get("LOAD_FRAMES_OUT")
    if out:
        with open(out, "w") as handle:
            json.dump(FRAMES, handle)
