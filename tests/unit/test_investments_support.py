"""Shared set-up for the investment unit tests (no tests here): users with live sessions, pitches seeking
investment, the investment state machine in moto, calling the investment handlers, and playing the
workflow's part (storing a stage's task token) by hand."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pitchey.core.ids import new_id
from pitchey.pitches.models import Pitch
from tests.events import Answer, Routes
from tests.unit.accounts import Actor, make_user, party
from tests.unit.pitches_support import stored_pitch
from tests.unit.statemachine_support import create_machine, substitute

ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = ROOT / "statemachines" / "investment.asl.json"
GOAL = 100_000_000  # $1,000,000.00
MINIMUM = 100_000


@dataclass
class Cast:
    creator: Actor
    investor: Actor
    other_investor: Actor
    production: Actor
    stranger_creator: Actor


@pytest.fixture
def crew(aws, setenv) -> Cast:
    # The investor's own committed -> active move (InvestmentPaymentRequired=false); the paid path is
    # tests/unit/test_payments_investments.py.
    setenv("INVESTMENT_PAYMENT_REQUIRED", "false")
    return Cast(
        creator=party("creator"),
        investor=party("investor"),
        other_investor=make_user("investor", first="Ines", last="Okafor"),
        production=party("production"),
        stranger_creator=make_user("creator", first="Sam", last="Stranger"),
    )


def substituted_definition(**overrides: str) -> str:
    values = {
        "InvestmentStageTtlSeconds": "2592000",
        **overrides,
    }
    return substitute(ASL_PATH, values)


@pytest.fixture
def investment_machine(aws, setenv) -> str:
    """The investment state machine in moto."""
    definition = substituted_definition()
    return create_machine("pitchey-test-investment", definition, "INVESTMENT_STATE_MACHINE_ARN", setenv)


@pytest.fixture
def pitch_factory(aws):
    """pitch_factory(creator, goal=GOAL, requires_nda=False, seeking=True, status="published", ...) → id."""

    def factory(
        creator: Actor,
        *,
        goal: int | None = GOAL,
        requires_nda: bool = False,
        seeking: bool = True,
        status: str = "published",
        minimum: int = MINIMUM,
        genre: str = "drama",
        format: str = "feature",
        title: str = "The Last Lighthouse Keeper",
    ) -> str:
        return stored_pitch(
            creator,
            status=status,
            title=title,
            genre=genre,
            format=format,
            short_synopsis="A lighthouse, a keeper, a secret.",
            seeking_investment=seeking,
            funding_goal_cents=goal,
            funding_raised_cents=0,
            min_investment_cents=minimum,
            requires_nda=requires_nda,
            nda_type="basic" if requires_nda else None,
        )

    return factory


ROUTES = Routes.of("investments")  # every HTTP route of functions/investments/ in template.yaml


api = ROUTES.call  # api(name, actor, body=, query=, headers=, source_ip=, **path_params)


def ok(answer: Answer, status: int = 200) -> Any:
    assert answer.status == status, json.dumps(answer.body)
    return answer.data


def invest(actor: Actor, pitch_id: str, amount: int = 25_000_000, **extra: Any) -> Answer:
    return api("create", actor, body={"pitchId": pitch_id, "amountCents": amount, **extra})


def move(actor: Actor, investment_id: str, to: str, note: str | None = None) -> Answer:
    body = {"to": to} if note is None else {"to": to, "note": note}
    return api("transition", actor, id=investment_id, body=body)


def progress(pitch_id: str) -> tuple[int, int]:
    pitch = Pitch.get(pitch_id, consistent_read=True)
    return int(pitch.funding_raised_cents or 0), int(pitch.funding_pledged_cents or 0)


# The path to each status, as (actor attribute of Cast, target) steps from pending.
PATHS = {
    "pending": [],
    "due_diligence": [("creator", "due_diligence")],
    "negotiation": [("creator", "due_diligence"), ("creator", "negotiation")],
    "committed": [("creator", "due_diligence"), ("creator", "negotiation"), ("creator", "committed")],
    "active": [
        ("creator", "due_diligence"),
        ("creator", "negotiation"),
        ("creator", "committed"),
        ("investor", "active"),
    ],
}


def bring_to(crew: Cast, investment_id: str, status: str) -> None:
    for who, to in PATHS[status]:
        ok(move(getattr(crew, who), investment_id, to))


def sign_nda(investor: Actor, creator: Actor, pitch_id: str) -> None:
    """A signed NDA for (investor, pitch) as the NDA workflow leaves it: the NDA item and the open claim
    holding the access grant (has_signed_nda is true)."""
    from pitchey.ndas.models import Nda, OpenNdaClaim, open_claim_key

    at = "2026-01-01T00:00:00Z"
    nda = Nda(
        new_id(),
        pitch_id=pitch_id,
        pitch_title="t",
        requester_id=investor.id,
        requester_type="investor",
        creator_id=creator.id,
        status="signed",
        nda_type="basic",
        requested_at=at,
        updated_at=at,
        creator_status=f"{creator.id}#signed",
        requester_status=f"{investor.id}#signed",
    )
    nda.save()
    grant = OpenNdaClaim(open_claim_key(pitch_id, investor.id), nda_id=nda.id, created_at=at)
    grant.access_granted_at = at
    grant.save()
