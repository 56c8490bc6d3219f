"""Investment payments: with InvestmentPaymentRequired the investor's own committed → active is refused, and
the signed success webhook of POST /api/payments/process makes it, through the investment workflow."""

from __future__ import annotations

import json
import time

import pytest

from pitchey.core import clock
from pitchey.investments.models import Investment
from pitchey.payments.models import PaymentTransaction
from tests.events import call, http_event, load_handler
from tests.payments_support import WEBHOOK_SECRET, sign, stripe_event
from tests.unit.pitches_support import hit
from tests.unit.test_investments_support import bring_to, invest, move, ok, progress

pytest_plugins = ("tests.unit.test_ndas_support", "tests.unit.test_investments_support")

WEBHOOK = load_handler("payments/webhook")
AMOUNT = 25_000_000


@pytest.fixture
def committed(crew, pitch_factory, investment_machine, setenv):
    pitch_id = pitch_factory(crew.creator)
    investment = ok(invest(crew.investor, pitch_id, AMOUNT), 201)["investment"]
    bring_to(crew, investment["id"], "committed")
    setenv("INVESTMENT_PAYMENT_REQUIRED", "true")
    setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    return crew, pitch_id, investment["id"]


def process(actor, investment_id):
    body = {"investmentId": investment_id, "paymentMethodId": "pm_card_visa"}
    return hit("payments/stripe/process", "POST", "/api/payments/process", actor, body=body)


def deliver(event):
    raw = json.dumps(event).encode()
    http = http_event(
        "POST", "/api/webhooks/stripe", raw_body=raw.decode(), headers={"stripe-signature": sign(raw)}
    )
    return call(WEBHOOK, http)


def test_the_investors_own_move_to_active_is_payment_required(committed):
    crew, _, investment_id = committed
    answer = move(crew.investor, investment_id, "active")
    assert answer.status == 409 and answer.code == "PAYMENT_REQUIRED"
    assert Investment.get(investment_id).status == "committed"


def test_only_the_investor_of_a_committed_investment_can_pay(committed, pitch_factory):
    crew, _, investment_id = committed
    assert process(crew.other_investor, investment_id).status == 404
    assert process(crew.creator, investment_id).status == 404
    assert process(crew.investor, "no-such-investment").status == 404
    pending = ok(invest(crew.other_investor, pitch_factory(crew.creator, title="Other"), AMOUNT), 201)
    early = process(crew.other_investor, pending["investment"]["id"])
    assert early.status == 409 and early.code == "INVALID_TRANSITION"


def test_the_payments_success_webhook_moves_the_investment_to_active_once(committed):
    crew, pitch_id, investment_id = committed
    now = clock.iso_precise()
    record = PaymentTransaction(  # what POST /api/payments/process saves before Stripe answers
        f"tx{time.time_ns()}",
        user_id=crew.investor.id,
        type="investment",
        amount_cents=AMOUNT,
        currency="USD",
        status="pending",
        description="Investment",
        created_at=now,
        updated_at=now,
        investment_id=investment_id,
    )
    record.save()
    intent = {
        "id": "pi_investment",
        "amount": AMOUNT,
        "currency": "usd",
        "metadata": {"transactionId": record.id, "kind": "investment", "investmentId": investment_id},
        "latest_charge": "ch_investment",
        "invoice": None,
    }
    raised_before = progress(pitch_id)
    event = stripe_event("payment_intent.succeeded", intent)
    assert deliver(event).data["result"] == "applied"
    assert deliver(event).data["result"] == "duplicate"
    assert deliver(stripe_event("payment_intent.succeeded", intent)).data["result"] == "duplicate"
    investment = Investment.get(investment_id, consistent_read=True)
    assert investment.status == "active"
    assert [(e.status, e.by_user_id) for e in investment.timeline][-1] == ("active", crew.investor.id)
    assert PaymentTransaction.get(record.id).status == "completed"
    assert progress(pitch_id) == raised_before  # committed and active both count as raised
