"""Shared set-up for the NDA unit tests (no tests here): users with live sessions, pitches, the state
machine in moto, and calling the NDA handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pitchey.core import workflow
from tests.events import Answer, Routes
from tests.unit.accounts import Actor, make_user, party
from tests.unit.pitches_support import stored_pitch
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
        creator=party("creator"),
        investor=party("investor"),
        production=party("production"),
        stranger=make_user("investor", first="Sam", last="Stranger"),
    )


def substituted_definition(**overrides: str) -> str:
    values = {
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


ROUTES = Routes.of("ndas")  # every HTTP route of functions/ndas/ in template.yaml


api = ROUTES.call  # api(name, actor, body=, query=, headers=, source_ip=, **path_params)


def body_of(answer: Answer) -> dict[str, Any]:
    assert answer.body["success"] is True, json.dumps(answer.body)
    return answer.data


@pytest.fixture
def make_pitch(aws):
    """make_pitch(creator, requires_nda=True, nda_type="basic", status="published", custom_text=None) → id.
    A real item in the Pitches table, read by the NDA rules through `load_pitch_for_nda`."""

    def factory(
        creator: Actor,
        *,
        requires_nda: bool = True,
        nda_type: str = "basic",
        status: str = "published",
        custom_text: str | None = None,
        title: str = "The Last Lighthouse Keeper",
    ) -> str:
        return stored_pitch(
            creator,
            title=title,
            status=status,
            long_synopsis="The protected long synopsis.",
            requires_nda=requires_nda,
            nda_type=nda_type,
            custom_nda_text=custom_text,
        )

    return factory
