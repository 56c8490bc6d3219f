"""Helpers for the pitches/follows unit tests: calls to our handlers (users come from tests.unit.accounts)."""

from __future__ import annotations

from typing import Any

from tests.events import Answer, call, http_event, load_handler
from tests.unit.accounts import Actor

_handlers: dict[str, Any] = {}


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
