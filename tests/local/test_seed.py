"""`--seed` registers one demo user per portal through the HTTP API and reports, never crashes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
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
    report = seed(base, out=lines.append)
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
    assert all(row["outcome"].startswith("FAILED (0") for row in report)


def test_seed_makes_the_demo_admin_the_bootstrap_email_unless_one_is_given() -> None:
    from local.cli import _with_seed_admin

    assert _with_seed_admin({}, seed=True) == {"AdminBootstrapEmail": "admin@demo.pitchey.dev"}
    assert _with_seed_admin({"AdminBootstrapEmail": "x@y.z"}, seed=True) == {"AdminBootstrapEmail": "x@y.z"}
    assert _with_seed_admin({}, seed=False) == {}
