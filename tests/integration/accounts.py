"""Accounts for integration tests, registered through the application's own API."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

PASSWORD = "Integration-pass-1"


@dataclass(frozen=True)
class Account:
    id: str
    token: str
    email: str
    name: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def session_id(self) -> str:
        """The login session the access token belongs to (its `sid` claim)."""
        return jwt.decode(self.token, options={"verify_signature": False})["sid"]


def register(
    runtime: Any,
    portal: str,
    first: str | None = None,
    last: str | None = None,
    company: str | None = None,
    *,
    verify: bool = True,
) -> Account:
    """A fresh account via POST /api/auth/{portal}/register, waiting out the per-IP auth limit if a module's
    runtime keeps it low; `verify`: then its email verified through the mailed link. `name` is "first last"
    when given, else the generated username."""
    username = f"{portal[:4]}_{uuid.uuid4().hex[:12]}"
    email = f"{username}@example.test"
    profile = {"firstName": first, "lastName": last, "companyName": company}
    body = {
        "email": email,
        "password": PASSWORD,
        "username": username,
        **{k: v for k, v in profile.items() if v},
    }
    for _ in range(5):
        answer = runtime.client.post(f"/api/auth/{portal}/register", json=body)
        if answer.status_code == 429:
            time.sleep(int(answer.headers.get("Retry-After", "5")) + 0.5)
            continue
        assert answer.status_code == 201, answer.text
        data = answer.json()["data"]
        if verify:
            verify_email(runtime, email)
        name = " ".join(part for part in (first, last) if part) or username
        return Account(data["user"]["id"], data["accessToken"], email, name)
    raise AssertionError("could not register: rate limited throughout")


def cast(runtime: Any, **portals: str) -> dict[str, Account]:
    """A fresh account per name: cast(runtime, creator="creator", rival="creator")."""
    return {name: register(runtime, portal) for name, portal in portals.items()}


def parties(runtime: Any) -> dict[str, Account]:
    """The lifecycle tests' cast (names outside ASCII on purpose: documents and mails carry them): a creator,
    an investor, a production company, and a stranger investor who is party to nothing."""
    return {
        "creator": register(runtime, "creator", "Zoë", "Łukasiewicz", "Northlight Pictures"),
        "investor": register(runtime, "investor", "Marcus", "Whitfield", "Harbour Capital"),
        "production": register(runtime, "production", "Priya", "Natarajan", "Monsoon Studios"),
        "stranger": register(runtime, "investor", "Sam", "Stranger"),
    }


def mailed_token(runtime: Any, email: str, path: str, timeout: float = 20.0) -> str:
    """The token of the newest captured mail to `email` whose link goes to `path` (e.g.
    /api/auth/verify-email), as the user would find it in their inbox (GET /_local/emails)."""
    pattern = re.compile(re.escape(path) + r"\?token=([A-Za-z0-9_.%-]+)")
    deadline = time.monotonic() + timeout
    while True:
        found = [
            m.group(1) for mail in runtime.emails(to=email) if (m := pattern.search(mail.get("text") or ""))
        ]
        if found:
            return found[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail to {email} with a {path} link")
        time.sleep(0.05)


def verify_email(runtime: Any, email: str) -> None:
    """Follow the verification mail: its token, POSTed to /api/auth/verify-email."""
    token = mailed_token(runtime, email, "/api/auth/verify-email")
    answer = runtime.client.post("/api/auth/verify-email", json={"token": token})
    assert answer.status_code == 200 and answer.json()["data"]["emailVerified"] is True, answer.text


def inbox(runtime: Any, email: str) -> list[dict[str, Any]]:
    """The captured mails to `email` but the verification mail registering sent."""
    return [
        m for m in runtime.emails(to=email) if "/api/auth/verify-email?token=" not in (m.get("text") or "")
    ]
