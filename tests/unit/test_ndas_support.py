"""Shared set-up for the NDA unit tests (no tests here): users with live sessions, pitches, the state
machine in moto, and calling the NDA handlers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from pitchey.core import clock, workflow
from pitchey.core.ids import new_id
from pitchey.users.models import User
from tests.events import Answer, call, http_event, live_session, load_handler
from tests.payments_support import give_credits

ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = ROOT / "statemachines" / "nda.asl.json"


@dataclass
class Actor:
    id: str
    role: str
    token: str
    name: str


def make_user(role: str, first: str, last: str, company: str | None = None) -> Actor:
    now = clock.iso_precise()
    user_id = new_id()
    User(
        user_id,
        email=f"{user_id}@example.com",
        username=f"{first.lower()}_{user_id[-6:]}",
        user_type=role,
        password_hash="not-a-real-hash",
        first_name=first,
        last_name=last,
        company_name=company,
        created_at=now,
        updated_at=now,
    ).save()
    give_credits(user_id)  # paid actions (media uploads, NDA requests) are not what these tests are about
    token, _ = live_session(user_id, role)
    return Actor(user_id, role, token, f"{first} {last}")


@dataclass
class Cast:
    creator: Actor
    investor: Actor
    production: Actor
    stranger: Actor


@pytest.fixture
def cast(aws) -> Cast:
    return Cast(
        creator=make_user("creator", "Zoë", "Łukasiewicz", "Northlight Pictures"),
        investor=make_user("investor", "Marcus", "Whitfield", "Harbour Capital"),
        production=make_user("production", "Priya", "Natarajan", "Monsoon Studios"),
        stranger=make_user("investor", "Sam", "Stranger"),
    )


def substituted_definition(**overrides: str) -> str:
    values = {
        "NdaWorkflowFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:NdaWorkflowFunction",
        "NdaDocumentFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:NdaDocumentFunction",
        "NdaRequestTtlSeconds": "2592000",
        "NdaSignatureTtlSeconds": "1209600",
        **overrides,
    }
    return re.sub(r"\$\{(\w+)\}", lambda match: values[match.group(1)], ASL_PATH.read_text())


@pytest.fixture
def state_machine(aws, monkeypatch) -> str:
    """The NDA state machine in moto (which records executions and accepts SendTaskSuccess)."""
    arn = boto3.client("stepfunctions").create_state_machine(
        name="pitchey-test-nda",
        definition=substituted_definition(),
        roleArn="arn:aws:iam::123456789012:role/nda-state-machine",
        type="STANDARD",
    )["stateMachineArn"]
    monkeypatch.setenv("NDA_STATE_MACHINE_ARN", arn)
    return arn


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
