"""POST /api/webhooks/stripe: signature attacks first, then exactly-once, ordering and atomicity."""

from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pitchey.core import clock
from pitchey.notifications.models import Notification
from pitchey.payments.models import CreditAccount, LedgerEntry, PaymentRecord, PaymentTransaction
from pitchey.users.models import User
from tests.events import call, http_event, load_handler
from tests.payments_support import WEBHOOK_SECRET, sign, stripe_event
from tests.unit.accounts import make_user

WEBHOOK = load_handler("payments/webhook")


@pytest.fixture(autouse=True)
def webhook_secret(monkeypatch, setenv):
    setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)


def deliver(event: dict | None = None, *, raw: bytes | None = None, header: str | None = "sign", b64=False):
    raw = raw if raw is not None else json.dumps(event).encode()
    headers = {"stripe-signature": sign(raw) if header == "sign" else header} if header else {}
    http = http_event("POST", "/api/webhooks/stripe", raw_body=raw.decode(), headers=headers)
    if b64:
        http["body"], http["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    return call(WEBHOOK, http)


def balance(user_id: str) -> int:
    return CreditAccount.get(user_id, consistent_read=True).balance


def pending_purchase(user_id: str, credits: int = 10, amount: int = 1499, intent: str | None = None):
    """What POST /credits/purchase leaves before Stripe answers: a pending transaction (+ the intent ref)."""
    now = clock.iso_precise()
    record = PaymentTransaction(
        f"tx{time.time_ns()}",
        user_id=user_id,
        type="credits",
        amount_cents=amount,
        currency="EUR",
        status="pending",
        description=f"{credits} credits (pack10)",
        created_at=now,
        updated_at=now,
        credits=credits,
        pack="pack10",
        payment_intent_id=intent,
    )
    record.save()
    return record


def intent(record: PaymentTransaction, intent_id: str = "pi_test_1", **extra) -> dict:
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": record.amount_cents,
        "currency": "eur",
        "status": "succeeded",
        "metadata": {"transactionId": record.id, "userId": record.user_id},
        "latest_charge": f"ch_{intent_id}",
        "invoice": None,
        **extra,
    }


@pytest.fixture
def buyer(aws):
    actor = make_user("creator")  # make_user gives 10 000 credits; start these tests from zero
    account = CreditAccount.get(actor.id)
    account.update(actions=[CreditAccount.balance.set(0)])
    return actor


# --- the signature ---------------------------------------------------------------------------------------
def test_a_validly_signed_event_is_applied(buyer):
    record = pending_purchase(buyer.id)
    answer = deliver(stripe_event("payment_intent.succeeded", intent(record)))
    assert answer.status == 200 and answer.data["result"] == "applied"
    assert balance(buyer.id) == 10


@pytest.mark.parametrize(
    "attack",
    [
        "wrong secret",
        "stale timestamp",
        "future timestamp",
        "tampered body",
        "missing header",
        "garbage header",
    ],
)
def test_a_forged_or_replayed_signature_is_400_and_grants_nothing(buyer, attack):
    record = pending_purchase(buyer.id)
    raw = json.dumps(stripe_event("payment_intent.succeeded", intent(record))).encode()
    header = {
        "wrong secret": sign(raw, secret="whsec_someone_else"),
        "stale timestamp": sign(raw, timestamp=int(time.time()) - 301),
        "future timestamp": sign(raw, timestamp=int(time.time()) + 301),
        "tampered body": sign(raw),
        "missing header": None,
        "garbage header": "v1=deadbeef",
    }[attack]
    if attack == "tampered body":
        raw = raw.replace(b'"amount": 1499', b'"amount": 1498')
    answer = deliver(raw=raw, header=header)
    assert answer.status == 400 and answer.code == "BAD_REQUEST"
    assert balance(buyer.id) == 0
    assert PaymentTransaction.get(record.id).status == "pending"


def test_a_timestamp_within_300_seconds_is_accepted(buyer):
    record = pending_purchase(buyer.id)
    raw = json.dumps(stripe_event("payment_intent.succeeded", intent(record))).encode()
    assert deliver(raw=raw, header=sign(raw, timestamp=int(time.time()) - 290)).status == 200
    assert balance(buyer.id) == 10


def test_a_base64_encoded_body_is_verified_over_its_decoded_bytes(buyer):
    record = pending_purchase(buyer.id)
    answer = deliver(stripe_event("payment_intent.succeeded", intent(record)), b64=True)
    assert answer.status == 200 and balance(buyer.id) == 10


def test_the_public_development_secret_is_refused_outside_the_local_runtime(buyer, monkeypatch, setenv):
    setenv("STRIPE_WEBHOOK_SECRET", "whsec_local_dev_only")
    monkeypatch.delenv("STRIPE_API_BASE", raising=False)
    record = pending_purchase(buyer.id)
    raw = json.dumps(stripe_event("payment_intent.succeeded", intent(record))).encode()
    answer = deliver(raw=raw, header=sign(raw, secret="whsec_local_dev_only"))
    assert answer.status == 500 and balance(buyer.id) == 0


# --- exactly once ------------------------------------------------------------------------------------------
def test_one_event_delivered_ten_times_is_applied_once(buyer):
    record = pending_purchase(buyer.id)
    event = stripe_event("payment_intent.succeeded", intent(record))
    results = [deliver(event).data["result"] for _ in range(10)]
    assert results == ["applied"] + ["duplicate"] * 9
    assert balance(buyer.id) == 10
    assert (
        sum(1 for e in LedgerEntry.query(buyer.id) if e.reason == "purchase" and e.reference_id == record.id)
        == 1
    )


def test_one_event_delivered_ten_times_at_once_is_applied_once(buyer):
    record = pending_purchase(buyer.id)
    event = stripe_event("payment_intent.succeeded", intent(record))
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: deliver(event), range(10)))
    assert all(a.status == 200 for a in answers)
    assert sorted(a.data["result"] for a in answers) == ["applied"] + ["duplicate"] * 9
    assert balance(buyer.id) == 10


def test_a_second_event_with_a_new_id_about_the_same_payment_grants_nothing(buyer):
    record = pending_purchase(buyer.id)
    assert deliver(stripe_event("payment_intent.succeeded", intent(record))).data["result"] == "applied"
    again = deliver(stripe_event("payment_intent.succeeded", intent(record)))
    assert again.status == 200 and again.data["result"] == "duplicate"
    assert balance(buyer.id) == 10
    assert PaymentTransaction.get(record.id).status == "completed"


def test_an_intent_that_does_not_match_its_transaction_grants_nothing(buyer):
    record = pending_purchase(buyer.id)
    assert deliver(stripe_event("payment_intent.succeeded", intent(record, amount=1))).status == 200
    assert balance(buyer.id) == 0 and PaymentTransaction.get(record.id).status == "pending"


def test_events_about_payments_we_never_created_answer_200_and_change_nothing(buyer):
    stranger = {"id": "pi_elsewhere", "amount": 500, "currency": "eur", "metadata": {}, "invoice": None}
    assert deliver(stripe_event("payment_intent.succeeded", stranger)).status == 200
    assert deliver(stripe_event("charge.refunded", {"id": "ch_x", "payment_intent": "pi_x"})).status == 200
    assert deliver(stripe_event("customer.created", {"id": "cus_x"})).data["result"] == "ignored"
    assert balance(buyer.id) == 0


def test_a_failed_payment_is_marked_failed_and_a_late_failure_does_not_undo_a_success(buyer):
    failed = pending_purchase(buyer.id)
    failure = intent(failed, "pi_declined", status="requires_payment_method")
    failure["last_payment_error"] = {"message": "Your card was declined."}
    assert deliver(stripe_event("payment_intent.payment_failed", failure)).status == 200
    assert PaymentTransaction.get(failed.id).status == "failed" and balance(buyer.id) == 0

    paid = pending_purchase(buyer.id)
    deliver(stripe_event("payment_intent.succeeded", intent(paid, "pi_paid")))
    deliver(stripe_event("payment_intent.payment_failed", intent(paid, "pi_paid")))
    assert PaymentTransaction.get(paid.id).status == "completed" and balance(buyer.id) == 10


# --- subscriptions and invoices --------------------------------------------------------------------------
def customer_of(user_id: str, customer: str = "cus_test") -> str:
    PaymentRecord(f"customer#{customer}", user_id=user_id, created_at=clock.iso()).save()
    return customer


def subscription(customer: str, status: str = "active", plan: str = "pitchey_creator_month", **extra) -> dict:
    return {
        "id": "sub_test",
        "object": "subscription",
        "customer": customer,
        "status": status,
        "created": 1_700_000_000,
        "current_period_end": 1_900_000_000,
        "cancel_at_period_end": False,
        "items": {"data": [{"plan": {"id": plan}}]},
        **extra,
    }


def invoice(customer: str, invoice_id: str = "in_test", plan: str = "pitchey_creator_month") -> dict:
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer,
        "subscription": "sub_test",
        "amount_paid": 1999,
        "amount_due": 1999,
        "currency": "eur",
        "payment_intent": f"pi_{invoice_id}",
        "lines": {"data": [{"plan": {"id": plan}}]},
    }


def test_invoice_paid_and_payment_succeeded_grant_the_monthly_credits_once_per_invoice(buyer):
    customer = customer_of(buyer.id)
    for kind in ("invoice.paid", "invoice.payment_succeeded", "invoice.paid"):
        assert deliver(stripe_event(kind, invoice(customer))).status == 200
    assert balance(buyer.id) == 10  # creator: 10 a month
    history = list(PaymentTransaction.by_user.query(buyer.id))
    assert [(t.type, t.status, t.amount_cents) for t in history] == [("subscription", "completed", 1999)]
    deliver(stripe_event("invoice.paid", invoice(customer, "in_next_month")))
    assert balance(buyer.id) == 20


def test_a_yearly_invoice_grants_twelve_months_and_an_unlimited_tier_grants_none(buyer):
    customer = customer_of(buyer.id)
    deliver(stripe_event("invoice.paid", invoice(customer, "in_year", plan="pitchey_creator_plus_year")))
    assert balance(buyer.id) == 30 * 12
    deliver(stripe_event("invoice.paid", invoice(customer, "in_unl", plan="pitchey_creator_unlimited_month")))
    assert balance(buyer.id) == 30 * 12


def test_a_failed_invoice_is_in_the_history_and_grants_nothing(buyer):
    customer = customer_of(buyer.id)
    deliver(stripe_event("invoice.payment_failed", invoice(customer, "in_failed")))
    [record] = PaymentTransaction.by_user.query(buyer.id)
    assert (record.type, record.status) == ("subscription", "failed") and balance(buyer.id) == 0


def test_subscription_events_set_the_tier_only_as_stripe_reports_it_and_out_of_order_ends_right(buyer):
    customer = customer_of(buyer.id)
    later = subscription(customer, cancel_at_period_end=True)
    deliver(stripe_event("customer.subscription.updated", later, created=2_000))
    deliver(
        stripe_event("customer.subscription.created", subscription(customer, "incomplete"), created=1_000)
    )
    account = CreditAccount.get(buyer.id)
    assert (account.tier, account.subscription_status, account.cancel_at_period_end) == (
        "creator",
        "active",
        True,
    )
    assert User.get(buyer.id).subscription_tier == "creator"

    deliver(stripe_event("customer.subscription.deleted", subscription(customer, "canceled"), created=3_000))
    deliver(stripe_event("customer.subscription.updated", subscription(customer), created=2_500))  # late
    account = CreditAccount.get(buyer.id)
    assert (account.tier, account.subscription_status) == ("free", "canceled")
    assert User.get(buyer.id).subscription_tier == "free"


def test_a_failure_answers_5xx_with_nothing_half_applied_and_the_retry_applies(buyer):
    customer = customer_of(buyer.id)
    user = User.get(buyer.id)
    user.delete()  # the tier update's condition now fails every time
    event = stripe_event("customer.subscription.created", subscription(customer))
    assert deliver(event).status == 500
    account = CreditAccount.get(buyer.id)
    assert account.subscription_status is None and account.tier == "free"
    assert PaymentRecord.count(f"event#{event['id']}") == 0  # not marked seen: Stripe's retry will apply it
    user.save()
    assert deliver(event).data["result"] == "applied"
    assert CreditAccount.get(buyer.id).tier == "creator"


# --- refunds and disputes ------------------------------------------------------------------------------
def completed_purchase(user_id: str, credits: int = 10, amount: int = 1499, intent_id: str = "pi_refund"):
    record = pending_purchase(user_id, credits, amount)
    assert deliver(stripe_event("payment_intent.succeeded", intent(record, intent_id))).status == 200
    return record


def refunded_charge(intent_id: str, amount: int, refunded: int) -> dict:
    return {
        "id": f"ch_{intent_id}",
        "object": "charge",
        "payment_intent": intent_id,
        "amount": amount,
        "amount_refunded": refunded,
        "refunded": refunded >= amount,
    }


def test_a_refund_takes_the_credits_back_once(buyer):
    record = completed_purchase(buyer.id)
    assert balance(buyer.id) == 10
    for _ in range(2):  # the same refund reported by two events
        deliver(stripe_event("charge.refunded", refunded_charge("pi_refund", 1499, 1499)))
    assert balance(buyer.id) == 0
    account = CreditAccount.get(buyer.id)
    assert (account.lifetime_purchased, account.lifetime_used) == (10_010, 0)  # a refund is not "used"
    assert PaymentTransaction.get(record.id).status == "refunded"
    kinds = sorted((t.type, t.status) for t in PaymentTransaction.by_user.query(buyer.id))
    assert kinds == [("credits", "refunded"), ("refund", "completed")]


def test_a_refund_of_spent_credits_floors_at_zero_and_keeps_the_shortfall(buyer):
    completed_purchase(buyer.id)
    CreditAccount.get(buyer.id).update(actions=[CreditAccount.balance.set(3)])  # 7 were spent meanwhile
    deliver(stripe_event("charge.refunded", refunded_charge("pi_refund", 1499, 1499)))
    assert balance(buyer.id) == 0
    last = next(iter(LedgerEntry.query(buyer.id, scan_index_forward=False, limit=1)))
    assert (last.reason, last.delta, last.shortfall, last.balance_after) == ("refund", -3, 7, 0)


def test_a_partial_refund_takes_back_its_share_and_a_later_full_one_the_rest(buyer):
    completed_purchase(buyer.id, credits=10, amount=1000)
    deliver(stripe_event("charge.refunded", refunded_charge("pi_refund", 1000, 500)))
    assert balance(buyer.id) == 5
    deliver(stripe_event("charge.refunded", refunded_charge("pi_refund", 1000, 1000)))
    assert balance(buyer.id) == 0


def test_a_dispute_marks_the_payment_disputed_and_notifies_the_user(buyer):
    record = completed_purchase(buyer.id)
    dispute = {"id": "dp_1", "object": "dispute", "charge": "ch_pi_refund", "payment_intent": "pi_refund"}
    for _ in range(2):
        assert deliver(stripe_event("charge.dispute.created", dispute)).status == 200
    assert PaymentTransaction.get(record.id).status == "disputed"
    notes = [n for n in Notification.query(buyer.id) if n.type == "payment"]
    assert len(notes) == 1 and notes[0].data["transactionId"] == record.id


def test_the_sample_events_run(aws, monkeypatch, setenv):
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "events" / "payments"
    plans = call(load_handler("payments/plans"), json.loads((samples / "plans.json").read_text()))
    assert plans.status == 200 and plans.data["currency"] == "EUR"
    sample = json.loads((samples / "webhook.json").read_text())
    setenv("STRIPE_WEBHOOK_SECRET", "whsec_local_dev_only")
    setenv("STRIPE_API_BASE", "http://127.0.0.1:8420")
    assert call(WEBHOOK, sample).status == 400  # correctly signed, but long past the 300 s tolerance
    signed_at = int(sample["headers"]["stripe-signature"].split(",")[0][2:])
    monkeypatch.setattr(clock, "epoch", lambda: signed_at + 60)
    answer = call(WEBHOOK, sample)
    assert answer.status == 200 and answer.data["result"] == "applied"  # about no payment of ours: no effect


def test_an_applied_event_and_its_credit_movement_are_audited_once_with_it(buyer):
    from pitchey.core.audit import AuditEntry

    record = pending_purchase(buyer.id)
    event = stripe_event("payment_intent.succeeded", intent(record))
    for _ in range(3):
        deliver(event)
    by_stripe = [e for e in AuditEntry.query("stripe") if json.loads(e.details)["eventId"] == event["id"]]
    assert [e.action for e in by_stripe] == ["stripe.payment_intent.succeeded"]
    movements = [
        e
        for e in AuditEntry.query(buyer.id)
        if e.action == "credits.purchase" and json.loads(e.details)["referenceId"] == record.id
    ]
    assert len(movements) == 1 and movements[0].target_key == f"credits#{buyer.id}"
    assert json.loads(movements[0].details) == {
        "delta": 10,
        "reason": "purchase",
        "referenceId": record.id,
        "balanceAfter": balance(buyer.id),
    }
