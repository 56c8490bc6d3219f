"""Users for unit tests: a User item plus a live session and an access token, as a login would leave them
(without going through register/login, which tests/auth_support.py drives for the auth tests)."""

from __future__ import annotations

from dataclasses import dataclass

from pitchey.core import clock
from pitchey.core.ids import new_id
from pitchey.users.models import User
from tests.events import live_session
from tests.payments_support import give_credits


@dataclass(frozen=True)
class Actor:
    id: str
    role: str
    token: str
    session_id: str
    username: str
    email: str
    name: str  # "first last" when given, else the username


def make_user(
    role: str = "creator",
    *,
    username: str | None = None,
    first: str | None = None,
    last: str | None = None,
    company: str | None = None,
    ttl: int | None = None,
    verified: bool = True,
    credits: int = 10_000,
) -> Actor:
    """`ttl` is the session's absolute expiry (epoch seconds); default one hour from now. `verified`: the
    email is verified (as after following the registration mail). `credits`: the paid actions (media
    uploads, NDA requests, messages) are not what most tests are about."""
    user_id = new_id()
    username = username or f"{(first or role).lower()}_{user_id[-6:]}"
    email = f"{role}-{user_id}@example.com"
    now = clock.iso_precise()
    User(
        user_id,
        email=email,
        username=username,
        user_type=role,
        password_hash="not-a-real-hash",
        first_name=first,
        last_name=last,
        company_name=company,
        created_at=now,
        updated_at=now,
        email_verified_at=now if verified else None,
    ).save()
    if credits:
        give_credits(user_id, credits)
    token, session_id = live_session(user_id, role, ttl)
    name = " ".join(part for part in (first, last) if part) or username
    return Actor(user_id, role, token, session_id, username, email, name)


# The lifecycle tests' parties, named with letters outside ASCII on purpose: documents and mails carry them.
PARTIES = {
    "creator": {"first": "Zoë", "last": "Łukasiewicz", "company": "Northlight Pictures"},
    "investor": {"first": "Marcus", "last": "Whitfield", "company": "Harbour Capital"},
    "production": {"first": "Priya", "last": "Natarajan", "company": "Monsoon Studios"},
}


def party(role: str) -> Actor:
    """A user of `role` with that role's name and company from PARTIES."""
    return make_user(role, **PARTIES[role])
