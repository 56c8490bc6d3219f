"""`--seed` registers one demo user per portal through the HTTP API and reports, never crashes."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import unquote

import pytest

from local.seed import DEMO_PASSWORD, seed


@pytest.fixture
def fake_api() -> Iterator[tuple[str, list[tuple[str, dict]]]]:
    received: list[tuple[str, dict]] = []
    answers = {"creator": 201, "investor": 409, "production": 500}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.path, body))
            status = 200 if self.path == "/api/auth/verify-email" else answers[self.path.split("/")[3]]
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def do_GET(self) -> None:  # /_local/emails?to=...: the verification mail of whoever registered
            received.append((self.path, {}))
            to = unquote(self.path.split("to=", 1)[-1])
            mail = {"to": [to], "text": "Open /api/auth/verify-email?token=abc.def"}
            payload = json.dumps([mail]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()


def test_seed_registers_each_portal_and_reports(fake_api: tuple[str, list[tuple[str, dict]]]) -> None:
    base, received = fake_api
    lines: list[str] = []
    report = seed(base, out=lines.append, content=False)
    assert [path for path, _ in received] == [
        "/api/auth/creator/register",
        "/_local/emails?to=creator%40demo.pitchey.dev",  # the demo user verifies its email from the mail
        "/api/auth/verify-email",
        "/api/auth/investor/register",
        "/api/auth/production/register",
        "/api/auth/creator/register",  # the admin: admin is a flag, not a portal
        "/_local/emails?to=admin%40demo.pitchey.dev",
        "/api/auth/verify-email",
    ]
    registrations = [body for path, body in received if path.endswith("/register")]
    assert all(
        body["password"] == DEMO_PASSWORD and "@demo.pitchey.dev" in body["email"] for body in registrations
    )
    assert received[2][1] == {"token": "abc.def"}
    assert [row["outcome"] for row in report][:2] == ["created, email verified", "already there"]
    assert report[2]["outcome"].startswith("FAILED (500")
    assert any("creator@demo.pitchey.dev" in line and DEMO_PASSWORD in line for line in lines)


def test_seed_survives_an_unreachable_api() -> None:
    report = seed("http://127.0.0.1:9", out=lambda _: None)
    assert len(report) == 4
    assert all(row["outcome"].startswith("FAILED (0") for row in report)


def test_seed_makes_the_demo_admin_the_bootstrap_email_unless_one_is_given() -> None:
    from local.cli import _with_seed_admin

    assert _with_seed_admin({}, seed=True) == {"AdminBootstrapEmail": "admin@demo.pitchey.dev"}
    assert _with_seed_admin({"AdminBootstrapEmail": "x@y.z"}, seed=True) == {"AdminBootstrapEmail": "x@y.z"}
    assert _with_seed_admin({}, seed=False) == {}


def _marketplace(rt) -> dict:
    """What a newcomer sees: published pitches, and each demo user's NDAs and notifications."""
    from local.seed import DEMO_USERS, _call, _items, _login

    pitches = rt.client.get("/api/pitches/browse", params={"limit": 50}).json()["data"]
    seen = {"pitches": sorted((p["title"], p["requiresNDA"], p["seekingInvestment"]) for p in pitches)}
    for user in DEMO_USERS[:3]:
        token = _login(rt.http, user["portal"], user["email"])
        kind = "incoming-requests" if user["portal"] == "creator" else "outgoing-requests"
        _, ndas = _call(rt.http, "GET", f"/api/ndas/{kind}", token)
        _, notes = _call(rt.http, "GET", "/api/notifications", token)
        seen[user["portal"]] = {
            "ndas": sorted(n["status"] for n in _items(ndas)),
            "notifications": sorted(n["type"] for n in _items(notes)),
        }
    return seen


def _demo_users_and_the_admin(runtime: Any) -> None:
    """The demo users are printed; --seed makes admin@demo.pitchey.dev the AdminBootstrapEmail: it is admin,
    the others are not."""
    logs = runtime.logs()
    assert "Demo users (development only):" in logs
    for portal in ("creator", "investor", "production", "admin"):
        assert f"{portal}@demo.pitchey.dev" in logs
    tokens = {}
    for portal, email in (("creator", "admin@demo.pitchey.dev"), ("investor", "investor@demo.pitchey.dev")):
        body = {"email": email, "password": DEMO_PASSWORD}
        answer = runtime.client.post(f"/api/auth/{portal}/login", json=body)
        assert answer.status_code == 200, answer.text
        tokens[email] = {"Authorization": f"Bearer {answer.json()['data']['accessToken']}"}
    admin_list = runtime.client.get("/api/admin/users", headers=tokens["admin@demo.pitchey.dev"])
    assert admin_list.status_code == 200
    assert len(admin_list.json()["data"]) == 4
    refused = runtime.client.get("/api/admin/users", headers=tokens["investor@demo.pitchey.dev"])
    assert refused.status_code == 403


def test_seed_builds_a_living_marketplace_idempotently_across_restarts() -> None:
    """`make dev` (`start --seed`) with the project's template and default credits: pitches (two behind an
    NDA, one seeking investment), a pending and a signed NDA, notifications; seeding again (same runtime)
    and after a restart (moto starts empty) gives the same marketplace, nothing twice."""
    import time

    from local.seed import seed
    from local.testing import RuntimeProcess

    expected_pitches = [
        ("Night Shift", False, False),
        ("Orbital Decay", True, True),
        ("Second Helpings", False, False),
        ("The Lighthouse Keeper", True, False),
    ]
    # The test logs every demo user in several times a minute (a newcomer does not): more than the
    # default 20 auth requests per minute from one IP.
    overrides = {"BcryptRounds": "4", "AuthRateLimitPerMinute": "200"}
    runtime = RuntimeProcess(overrides, extra_args=["--seed", "--quiet"])
    try:
        for attempt in range(2):
            runtime.start() if attempt == 0 else runtime.restart()
            deadline = time.monotonic() + 60
            while "investor likes" not in runtime.logs().split("pitchey-local stopped")[-1]:
                assert time.monotonic() < deadline, runtime.logs()[-3000:]
                time.sleep(0.2)
            first = _marketplace(runtime)
            assert first["pitches"] == expected_pitches
            assert first["creator"]["ndas"] == ["pending", "signed"]
            assert first["investor"]["ndas"] == ["pending"]
            assert first["production"]["ndas"] == ["signed"]
            assert {"nda_request", "nda_signed", "new_follower"} <= set(first["creator"]["notifications"])
            assert "nda_approved" in first["production"]["notifications"]
            if attempt == 0:
                _demo_users_and_the_admin(runtime)
            # Links in captured mail (verification, NDA notifications with their unsubscribe links) are local.
            mails = runtime.emails()
            links = {link for m in mails for link in re.findall(r"https?://[^\s\"'<>)]+", m["text"] or "")}
            assert any("/api/notifications/unsubscribe?token=" in link for link in links), links
            assert links and all(link.startswith(f"{runtime.http}/api/") for link in links), links
            lines: list[str] = []
            seed(runtime.http, out=lines.append, wait_seconds=5)
            assert not [line for line in lines if "FAILED" in line], lines
            assert _marketplace(runtime) == first  # nothing created twice
    finally:
        runtime.stop()
