"""Helpers for the pitches/follows unit tests: accounts with live sessions, and calls to our handlers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pitchey.core import clock
from pitchey.core.ids import new_id
from pitchey.users.models import User
from tests.events import Answer, call, http_event, live_session, load_handler
from tests.payments_support import give_credits

_handlers: dict[str, Any] = {}


@dataclass(frozen=True)
class Actor:
    id: str
    token: str
    role: str
    username: str


def make_user(role: str = "creator", username: str | None = None) -> Actor:
    """A user item plus a live session and an access token, as login would leave them."""
    user_id = new_id()
    username = username or f"{role}_{user_id[-6:]}"
    now = clock.iso()
    User(
        user_id,
        email=f"{username}@example.test",
        username=username,
        user_type=role,
        password_hash="not-a-real-hash",
        created_at=now,
        updated_at=now,
    ).save()
    give_credits(user_id)  # paid actions (media uploads, NDA requests) are not what these tests are about
    token, _ = live_session(user_id, role)
    return Actor(user_id, token, role, username)


def handler(name: str) -> Any:
    if name not in _handlers:
        _handlers[name] = load_handler(name)
    return _handlers[name]


def hit(
    name: str,
    method: str,
    path: str,
    actor: Actor | None = None,
    *,
    body: Any = None,
    path_params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    **kwargs: Any,
) -> Answer:
    event = http_event(
        method,
        path,
        body=body,
        token=actor.token if actor else None,
        path_params=path_params,
        query=query,
        **kwargs,
    )
    return call(handler(name), event)


BASE_PITCH = {"title": "The Long Night", "logline": "A lighthouse keeper hides a secret.", "genre": "drama"}


def create_pitch(actor: Actor, **fields: Any) -> dict[str, Any]:
    body = {**BASE_PITCH, "format": "feature", **fields}
    answer = hit("pitches/create", "POST", "/api/pitches", actor, body=body)
    assert answer.status == 201, answer.body
    return answer.data


def update_pitch(actor: Actor, pitch_id: str, **fields: Any) -> Answer:
    return hit(
        "pitches/update", "PUT", f"/api/pitches/{pitch_id}", actor, body=fields, path_params={"id": pitch_id}
    )


def published_pitch(actor: Actor, **fields: Any) -> dict[str, Any]:
    pitch = create_pitch(actor, shortSynopsis="A storm, a keeper, a ship.", **fields)
    answer = update_pitch(actor, pitch["id"], status="published")
    assert answer.status == 200, answer.body
    return answer.data


def get_pitch(actor: Actor | None, pitch_id: str, **kwargs: Any) -> Answer:
    return hit(
        "pitches/get", "GET", f"/api/pitches/{pitch_id}", actor, path_params={"id": pitch_id}, **kwargs
    )
