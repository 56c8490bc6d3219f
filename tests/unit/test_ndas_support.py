"""Shared set-up for the NDA unit tests (no tests here): users with live sessions, pitches, the state
machine in moto, and calling the NDA handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pitchey.core import clock, workflow
from pitchey.core.ids import new_id
from tests.events import Answer, call, http_event, load_handler
from tests.unit.accounts import Actor, make_user
from tests.unit.statemachine_support import create_machine, substitute

ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = ROOT / "statemachines" / "nda.asl.json"


@dataclass
class Cast:
    creator: Actor
    investor: Actor
    production: Actor
    stranger: Actor


@pytest.fixture
def cast(aws) -> Cast:
    return Cast(
        creator=make_user("creator", first="Zoë", last="Łukasiewicz", company="Northlight Pictures"),
        investor=make_user("investor", first="Marcus", last="Whitfield", company="Harbour Capital"),
        production=make_user("production", first="Priya", last="Natarajan", company="Monsoon Studios"),
        stranger=make_user("investor", first="Sam", last="Stranger"),
    )


def substituted_definition(**overrides: str) -> str:
    values = {
        "NdaWorkflowFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:NdaWorkflowFunction",
        "NdaDocumentFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:NdaDocumentFunction",
        "NdaRequestTtlSeconds": "2592000",
        "NdaSignatureTtlSeconds": "1209600",
        **overrides,
    }
    return substitute(ASL_PATH, values)


@pytest.fixture
def state_machine(aws, setenv) -> str:
    """The NDA state machine in moto."""
    return create_machine("pitchey-test-nda", substituted_definition(), "NDA_STATE_MACHINE_ARN", setenv)


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, str]]:
    """Every (task token, outcome) handed to SendTaskSuccess."""
    calls: list[tuple[str, str]] = []
    original = workflow.resume

    def spy(token: str, outcome: str) -> bool:
        calls.append((token, outcome))
        return original(token, outcome)

    monkeypatch.setattr(workflow, "resume", spy)
    return calls


_HANDLERS: dict[str, Any] = {}


def handler(name: str) -> Any:
    if name not in _HANDLERS:
        _HANDLERS[name] = load_handler(f"ndas/{name}")
    return _HANDLERS[name]


ROUTES = {
    "request": ("POST", "/api/ndas/request"),
    "approve": ("POST", "/api/ndas/{id}/approve"),
    "reject": ("POST", "/api/ndas/{id}/reject"),
    "sign": ("POST", "/api/ndas/{id}/sign"),
    "revoke": ("POST", "/api/ndas/{id}/revoke"),
    "get": ("GET", "/api/ndas/{id}"),
    "document": ("GET", "/api/ndas/{id}/document"),
    "incoming_requests": ("GET", "/api/ndas/incoming-requests"),
    "outgoing_requests": ("GET", "/api/ndas/outgoing-requests"),
    "incoming_signed": ("GET", "/api/ndas/incoming-signed"),
    "can_request": ("GET", "/api/ndas/can-request/{pitchId}"),
}


def api(
    name: str,
    actor: Actor | None,
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    source_ip: str = "198.51.100.7",
    **path: str,
) -> Answer:
    method, template = ROUTES[name]
    event = http_event(
        method,
        template.format(**path),
        body=body,
        query=query,
        headers=headers,
        path_params=path or None,
        token=actor.token if actor else None,
        source_ip=source_ip,
        route_key=f"{method} {template}",
    )
    return call(handler(name), event)


def body_of(answer: Answer) -> dict[str, Any]:
    assert answer.body["success"] is True, json.dumps(answer.body)
    return answer.data


@pytest.fixture
def make_pitch(aws):
    """make_pitch(creator, requires_nda=True, nda_type="basic", status="published", custom_text=None) → id.
    A real item in the Pitches table, read by the NDA rules through `load_pitch_for_nda`."""
    from pitchey.pitches.models import Pitch

    def factory(
        creator: Actor,
        *,
        requires_nda: bool = True,
        nda_type: str = "basic",
        status: str = "published",
        custom_text: str | None = None,
        title: str = "The Last Lighthouse Keeper",
    ) -> str:
        now = clock.iso_precise()
        pitch = Pitch(
            new_id(),
            creator_id=creator.id,
            title=title,
            logline="A keeper guards a light no ship has needed for forty years.",
            genre="drama",
            format="feature",
            status=status,
            long_synopsis="The protected long synopsis.",
            requires_nda=requires_nda,
            nda_type=nda_type,
            custom_nda_text=custom_text,
            created_at=now,
            updated_at=now,
            published_at=now if status == "published" else None,
        )
        pitch.save()
        return pitch.id

    return factory
