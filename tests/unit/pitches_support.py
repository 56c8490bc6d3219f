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


def stored_pitch(creator: Actor, *, status: str = "published", **fields: Any) -> str:
    """A Pitch item written straight to the table (no API call, no credits), with the browse-index keys a
    publish sets when `status` is published; `fields` are the model's attributes. Its id back."""
    from pitchey.core import clock
    from pitchey.core.ids import new_id
    from pitchey.pitches.models import Pitch

    now = clock.iso_precise()
    published = status == "published"
    values: dict[str, Any] = {
        "title": "The Last Lighthouse Keeper",
        "logline": "A keeper guards a light no ship has needed for forty years.",
        "genre": "drama",
        "format": "feature",
        **fields,
    }
    pitch = Pitch(
        new_id(),
        creator_id=creator.id,
        status=status,
        created_at=now,
        updated_at=now,
        published_at=now if published else None,
        pub_key="published" if published else None,
        pub_genre=values["genre"] if published else None,
        pub_format=values["format"] if published else None,
        pub_creator=creator.id if published else None,
        **values,
    )
    pitch.save()
    return pitch.id
