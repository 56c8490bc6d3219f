"""The investment state machine's steps, called with the payloads investment.asl.json gives them."""

from __future__ import annotations

import io

import boto3
import pytest
from pypdf import PdfReader

from pitchey.core import workflow
from pitchey.investments import documents
from pitchey.investments.models import Investment, InvestmentEvent, OpenInvestmentClaim, open_claim_key
from pitchey.notifications.models import Notification
from tests.events import load_handler
from tests.unit.test_investments_support import invest, move, ok, progress

pytest_plugins = ("tests.unit.test_investments_support",)

WORKFLOW = load_handler("investments/workflow")
GENERATE = load_handler("investments/documents/generate")
AMOUNT = 25_000_000


def step(name: str, investment_id: str, **extra):
    return WORKFLOW({"step": name, "investmentId": investment_id, **extra}, None)


@pytest.fixture
def resumed(monkeypatch) -> list[tuple[str, str]]:
    """Every (task token, outcome) the component hands to SendTaskSuccess."""
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(workflow, "resume", lambda token, outcome: calls.append((token, outcome)) or True)
    return calls


@pytest.fixture
def world(crew, pitch_factory, investment_machine, resumed):
    pitch_id = pitch_factory(crew.creator)
    investment = ok(invest(crew.investor, pitch_id, AMOUNT, terms="Quarterly reports."), 201)["investment"]
    return crew, pitch_id, investment["id"]


def kinds(user_id: str) -> list[tuple[str, str]]:
    return [(n.type, n.data.get("status")) for n in Notification.query(user_id)]


def test_notify_announces_creation_then_every_entry_once(world):
    crew, _, investment_id = world
    step("notify", investment_id)
    assert kinds(crew.creator.id) == [("investment_created", "pending")]
    # Two transitions before the workflow catches up: both are announced by the next notify.
    ok(move(crew.creator, investment_id, "due_diligence", note="Budget please"))
    ok(move(crew.creator, investment_id, "negotiation"))
    step("notify", investment_id)
    assert kinds(crew.investor.id) == [
        ("investment_update", "due_diligence"),
        ("investment_update", "negotiation"),
    ]
    note = next(n for n in Notification.query(crew.investor.id) if n.data["status"] == "due_diligence")
    assert "Budget please" in note.body and "$250,000.00" in note.body
    step("notify", investment_id)  # a retry announces nothing twice
    assert len(kinds(crew.investor.id)) == 2 and len(kinds(crew.creator.id)) == 1
    ok(move(crew.investor, investment_id, "withdrawn"))
    step("notify", investment_id)
    assert kinds(crew.creator.id)[-1] == ("investment_update", "withdrawn")
    assert Investment.get(investment_id).notified == 4


def test_await_stores_the_token_and_resumes_a_wait_the_api_already_left(world, resumed):
    crew, _, investment_id = world
    step("await", investment_id, stage="pending", taskToken="token-pending")
    assert Investment.get(investment_id).pending_token == "token-pending" and resumed == []
    ok(move(crew.creator, investment_id, "due_diligence"))
    assert resumed == [("token-pending", "due_diligence")]  # the API resumed it
    ok(move(crew.creator, investment_id, "negotiation"))  # before the workflow stored the next token
    step("await", investment_id, stage="due_diligence", taskToken="token-dd")
    assert resumed[-1] == ("token-dd", "negotiation")  # the step resumed it itself


def test_expire_closes_a_stage_and_releases_everything(world):
    crew, pitch_id, investment_id = world
    assert step("expire", investment_id, stage="pending") == {"outcome": "expired"}
    stored = Investment.get(investment_id)
    assert stored.status == "expired" and stored.expires_at is None
    assert (stored.timeline[-1].status, stored.timeline[-1].by_user_id) == ("expired", "system")
    assert progress(pitch_id) == (0, 0)
    with pytest.raises(OpenInvestmentClaim.DoesNotExist):
        OpenInvestmentClaim.get(open_claim_key(pitch_id, crew.investor.id))
    latest = next(iter(InvestmentEvent.query(crew.investor.id, scan_index_forward=False)))
    assert latest.status == "expired"
    # A retry of the step after it took the edge reports the same outcome and changes nothing.
    assert step("expire", investment_id, stage="pending") == {"outcome": "expired"}
    assert len(Investment.get(investment_id).timeline) == 2


def test_expire_after_the_api_claimed_the_stage_continues_with_the_claim(world):
    crew, pitch_id, investment_id = world
    ok(move(crew.creator, investment_id, "due_diligence"))
    assert step("expire", investment_id, stage="pending") == {"outcome": "due_diligence"}
    assert Investment.get(investment_id).status == "due_diligence"
    assert progress(pitch_id) == (0, AMOUNT)


def test_a_step_for_a_missing_investment_is_a_permanent_failure(world):
    with pytest.raises(workflow.StateConflict):
        step("notify", "no-such-investment")


def test_record_failure_keeps_the_error_on_the_investment(world):
    _, _, investment_id = world
    step("record_failure", investment_id, failure={"Error": "Boom", "Cause": "it broke"})
    assert Investment.get(investment_id).workflow_error["error"] == "Boom"


def test_the_agreement_names_the_pitch_parties_amount_and_terms_and_is_encrypted(world):
    _, _, investment_id = world
    assert GENERATE({"step": "generate_agreement", "investmentId": investment_id}, None) == {
        "agreementKey": "stored"
    }
    stored = Investment.get(investment_id)
    key = stored.agreement_key
    assert key.startswith("investment/") and investment_id not in key
    s3 = boto3.client("s3")
    assert s3.head_object(Bucket=documents.bucket(), Key=key)["ServerSideEncryption"] == "AES256"
    body = s3.get_object(Bucket=documents.bucket(), Key=key)["Body"].read()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages).split())
    for expected in (
        "INVESTMENT AGREEMENT",
        "The Last Lighthouse Keeper",
        "Zoë Łukasiewicz",
        "Northlight Pictures",
        "Marcus Whitfield",
        "Harbour Capital",
        "$250,000.00 (USD)",
        "Quarterly reports.",
        stored.transaction_id,
    ):
        assert expected in text, expected
    # A duplicate invocation keeps the first copy.
    assert GENERATE({"step": "generate_agreement", "investmentId": investment_id}, None) == {
        "agreementKey": "exists"
    }
    assert Investment.get(investment_id).agreement_key == key


def test_agreement_download_is_for_parties_only(world, monkeypatch):
    from tests.unit.test_investments_support import api

    crew, _, investment_id = world
    monkeypatch.setattr("pitchey.investments.service.DOCUMENT_WAIT_SECONDS", 0.3)
    answer = api("agreement", crew.investor, id=investment_id)
    assert answer.status == 409 and answer.code == "DOCUMENT_NOT_READY"
    GENERATE({"step": "generate_agreement", "investmentId": investment_id}, None)
    for party in (crew.investor, crew.creator):
        link = ok(api("agreement", party, id=investment_id))
        assert "X-Amz-Expires=900" in link["downloadUrl"] and link["expiresAt"]
    assert api("agreement", crew.other_investor, id=investment_id).status == 404
