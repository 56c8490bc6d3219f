"""`POST /api/webhooks/stripe`: the only way money turns into credits, tiers or paid states.

1. The `Stripe-Signature` header is checked over the raw body (HMAC-SHA256 of "<t>.<body>" with the endpoint
   secret, any `v1` may match, `t` within 300 s): anything else is a 400 and nothing is read from the body.
2. All effects of one event go into one DynamoDB transaction together with `event#<id>` (TTL): a replayed
   event is cancelled on that record and applies nothing. Effects are keyed on the Stripe object too
   (`once#<payment intent|invoice|dispute>#…`, a refund by the charge's cumulative amount refunded), so a
   second event with another id about the same payment grants nothing again.
3. Effects are built from fresh reads and guarded by conditions on what was read; a transaction cancelled by
   a concurrent change is rebuilt and retried. If it still cannot commit, the error escapes (5xx): Stripe
   retries, and nothing was half-applied.

Events about objects we never created (another integration's payments, unknown customers) answer 200 and
change nothing, as do event types we do not handle.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pitchey.core import audit, clock, keys
from pitchey.core.db import Transaction, TransactionCancelled, transact
from pitchey.core.errors import AppError, BadRequest
from pitchey.core.log import logger
from pitchey.notifications.service import notify_in
from pitchey.payments import credits, stripe_api
from pitchey.payments.billing import LIVE_SUBSCRIPTION
from pitchey.payments.credits import load_account
from pitchey.payments.models import CreditAccount, PaymentRecord, PaymentTransaction
from pitchey.payments.plans import MONTHS_PER_INTERVAL, Tier, tier_for_plan
from pitchey.users.service import set_subscription_tier

TOLERANCE_SECONDS = 300
EVENT_RECORD_SECONDS = 30 * 24 * 3600  # Stripe retries for 3 days; keep ids well past that
DEV_SECRET = "whsec_local_dev_only"  # noqa: S105 (public by design: API.md names it)
_ATTEMPTS = 8
AUDIT = "stripe-event-audit"
EVENT = "stripe-event"  # transaction item names (a workflow's own items share the transaction)

Event = dict[str, Any]
Effects = Callable[[Transaction, Event, dict[str, Any]], None]


class WebhookMisconfigured(AppError):
    status, code = 500, "WEBHOOK_MISCONFIGURED"


# --- signature -------------------------------------------------------------------------------------------
def _secrets() -> Iterator[str]:
    """The endpoint's signing secrets to try (keys.verifying: during a roll, the previous one too)."""
    try:
        candidates = keys.verifying(keys.STRIPE_WEBHOOK)
        # The development secret is public: accepting it on AWS would let anyone forge payments.
        secrets = (s for s in candidates if s and (s != DEV_SECRET or stripe_api.is_local()))
        first = next(secrets)
    except (RuntimeError, StopIteration):  # no secret ARN, or an empty secret: a deploy without the webhook
        raise WebhookMisconfigured("StripeWebhookSecret is not configured for this stage") from None
    return itertools.chain([first], secrets)


def verify(raw: bytes, header: str | None, secret: str | Iterable[str], now: int | None = None) -> Event:
    """The event in `raw` when `header` signs it with `secret` (or one of them); BadRequest otherwise."""
    if not header:
        raise BadRequest("Missing Stripe-Signature header")
    timestamp, signatures = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            timestamp = value
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or not timestamp.isdigit() or not signatures:
        raise BadRequest("Malformed Stripe-Signature header")
    signed = timestamp.encode() + b"." + raw
    secrets = [secret] if isinstance(secret, str) else secret
    expected = (hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets)  # lazily: see keys
    if not any(hmac.compare_digest(e, signature) for e in expected for signature in signatures):
        raise BadRequest("Stripe-Signature does not match the body")
    if abs((now if now is not None else clock.epoch()) - int(timestamp)) > TOLERANCE_SECONDS:
        raise BadRequest("Stripe-Signature timestamp is outside the tolerance")
    try:
        event = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Body is not valid JSON") from None
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance((event.get("data") or {}).get("object"), dict)
    ):
        raise BadRequest("Not a Stripe event")
    return event


# The investment workflow's paid committed → active move, passed in by the webhook handler: payments does not
# import the investment context (investments read pitches, and pitches pay through payments).
ActivatePaid = Callable[[str, str, str, Callable[[Transaction], None]], bool]


def receive(raw: bytes, header: str | None, activate_paid: ActivatePaid) -> dict[str, Any]:
    event = verify(raw, header, _secrets())
    effects = HANDLERS.get(event["type"])
    if effects is None:
        return {"received": True, "result": "ignored"}
    result = apply(event, effects, activate_paid)
    logger.info("stripe event", extra={"event_id": event["id"], "type": event["type"], "result": result})
    return {"received": True, "result": result}


def apply(event: Event, effects: Effects, activate_paid: ActivatePaid) -> str:
    """Apply `effects` and the event's own record in one transaction: "applied" or "duplicate"."""
    obj = event["data"]["object"]
    record = PaymentRecord(
        f"event#{event['id']}",
        created_at=clock.iso(),
        ttl=clock.epoch() + EVENT_RECORD_SECONDS,
    )

    details = {"eventId": event["id"], "object": obj.get("object"), "objectId": obj.get("id")}

    def build(tx: Transaction) -> None:
        tx.put(EVENT, record, PaymentRecord.key.does_not_exist())
        # Who did it is Stripe; the entry is written exactly when the event's effects are.
        tx.put(AUDIT, audit.entry(f"stripe.{event['type']}", actor_id="stripe", details=details))
        effects(tx, event, obj)

    for attempt in range(_ATTEMPTS):
        try:
            if not _activated_investment(event, obj, build, activate_paid):
                transact(build)
            return "applied"
        except TransactionCancelled as cancelled:
            if EVENT in cancelled.failed:
                return "duplicate"
            if "once" in cancelled.failed:
                return "duplicate"  # the same payment / invoice / dispute, reported by another event
            # Something changed between our reads and the write: build again from fresh reads.
        time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    raise RuntimeError(f"stripe event {event['id']} could not be applied")


def _activated_investment(
    event: Event, obj: dict[str, Any], build: Callable[[Transaction], None], activate_paid: ActivatePaid
) -> bool:
    """A succeeded payment of a committed investment: the event's effects go into the investment
    workflow's committed → active transaction. False when there is no such move to make (the effects are
    then written alone)."""
    if event["type"] != "payment_intent.succeeded" or obj.get("invoice"):
        return False
    record = _payment_for_intent(obj)
    if (
        record is None
        or record.type != "investment"
        or not record.investment_id
        or record.status != "pending"
    ):
        return False
    note = f"Paid (transaction {record.id})"
    return activate_paid(record.investment_id, record.user_id, note, build)


# --- lookups ---------------------------------------------------------------------------------------------
def _record(key: str) -> PaymentRecord | None:
    try:
        return PaymentRecord.get(key, consistent_read=True)
    except PaymentRecord.DoesNotExist:
        return None


def _transaction(transaction_id: str | None) -> PaymentTransaction | None:
    if not transaction_id:
        return None
    try:
        return PaymentTransaction.get(transaction_id, consistent_read=True)
    except PaymentTransaction.DoesNotExist:
        return None


def _id(value: Any) -> str | None:
    """Stripe sends either an id or the expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value if isinstance(value, str) else None


def _payment_for_intent(intent: dict[str, Any]) -> PaymentTransaction | None:
    """Our payment for a PaymentIntent: by the transaction id we put in its metadata (so a webhook faster
    than the purchase's own answer finds it), else by the intent id; only if amount and currency agree."""
    metadata = intent.get("metadata") or {}
    record = _transaction(metadata.get("transactionId"))
    if record is None:
        ref = _record(f"pi#{intent.get('id')}")
        record = _transaction(ref.transaction_id) if ref else None
    if record is None or (record.payment_intent_id and record.payment_intent_id != intent.get("id")):
        return None
    if record.amount_cents != intent.get("amount") or record.currency.lower() != str(intent.get("currency")):
        logger.warning("payment intent does not match its transaction", extra={"intent": intent.get("id")})
        return None
    return record


def _payment_for_charge(charge_id: str | None, intent_id: str | None) -> PaymentTransaction | None:
    for key in (f"pi#{intent_id}" if intent_id else None, f"charge#{charge_id}" if charge_id else None):
        ref = _record(key) if key else None
        if ref:
            return _transaction(ref.transaction_id)
    return None


def _customer_user(customer: Any) -> str | None:
    ref = _record(f"customer#{_id(customer)}")
    return ref.user_id if ref else None


def _plan_of(obj: dict[str, Any]) -> tuple[Tier, str] | None:
    """(tier, interval) of a subscription or invoice: its item's or line's plan (or price) id."""
    candidates: list[Any] = [obj.get("plan")]
    lines = (obj.get("items") or obj.get("lines") or {}).get("data") or []
    for line in lines:
        candidates += [
            line.get("plan"),
            line.get("price"),
            ((line.get("pricing") or {}).get("price_details") or {}).get("price"),
        ]
    for candidate in candidates:
        found = tier_for_plan(_id(candidate))
        if found:
            return found
    return None


def _once(tx: Transaction, key: str, transaction_id: str | None = None) -> None:
    tx.put(
        "once",
        PaymentRecord(f"once#{key}", transaction_id=transaction_id, created_at=clock.iso()),
        PaymentRecord.key.does_not_exist(),
    )


def _ref(tx: Transaction, name: str, key: str, record: PaymentTransaction) -> None:
    tx.put(name, PaymentRecord(key, transaction_id=record.id, user_id=record.user_id, created_at=clock.iso()))


def _set_status(tx: Transaction, record: PaymentTransaction, status: str, *extra: Any) -> None:
    actions = [
        PaymentTransaction.status.set(status),
        PaymentTransaction.updated_at.set(clock.iso_precise()),
        *extra,
    ]
    tx.update("transaction", record, actions, PaymentTransaction.status == record.status)


# --- payment intents (credit packs) ----------------------------------------------------------------------
def intent_succeeded(tx: Transaction, event: Event, intent: dict[str, Any]) -> None:
    if intent.get("invoice"):
        return  # a subscription invoice's payment: the invoice events handle it
    record = _payment_for_intent(intent)
    if record is None:
        return
    _once(tx, f"{intent['id']}#succeeded", record.id)
    if record.status in ("pending", "failed"):
        _set_status(tx, record, "completed", PaymentTransaction.payment_intent_id.set(intent["id"]))
    _ref(tx, "ref-intent", f"pi#{intent['id']}", record)
    charge_id = _id(intent.get("latest_charge"))
    if charge_id:
        _ref(tx, "ref-charge", f"charge#{charge_id}", record)
    if record.type == "credits" and record.credits:
        credits.movement(
            tx, record.user_id, load_account(record.user_id), record.credits, "purchase", record.id
        )


def intent_failed(tx: Transaction, event: Event, intent: dict[str, Any]) -> None:
    if intent.get("invoice"):
        return
    record = _payment_for_intent(intent)
    if record is None or record.status != "pending":
        return  # already failed (declined at once) or completed: nothing to undo
    message = ((intent.get("last_payment_error") or {}).get("message") or "Payment failed")[:500]
    _set_status(
        tx,
        record,
        "failed",
        PaymentTransaction.payment_intent_id.set(intent["id"]),
        PaymentTransaction.failure_message.set(message),
    )


# --- invoices (subscription payments) --------------------------------------------------------------------
def _invoice_transaction_id(invoice: dict[str, Any]) -> str:
    return f"invoice-{invoice['id']}"


def _invoice_record(
    invoice: dict[str, Any], user_id: str, tier: Tier, interval: str, status: str, grant: int
) -> PaymentTransaction:
    now = clock.iso_precise()
    return PaymentTransaction(
        _invoice_transaction_id(invoice),
        user_id=user_id,
        type="subscription",
        amount_cents=int(invoice.get("amount_paid") or invoice.get("amount_due") or 0),
        currency=str(invoice.get("currency") or "eur").upper(),
        status=status,
        description=f"{tier.tier} subscription ({interval})",
        created_at=now,
        updated_at=now,
        credits=grant,
        invoice_id=invoice["id"],
        payment_intent_id=_id(invoice.get("payment_intent")),
    )


def invoice_paid(tx: Transaction, event: Event, invoice: dict[str, Any]) -> None:
    """`invoice.paid` and `invoice.payment_succeeded` (Stripe sends both): the tier's credits once per
    invoice, creditsPerMonth for each month the invoice pays for."""
    user_id, plan = _customer_user(invoice.get("customer")), _plan_of(invoice)
    if user_id is None or plan is None:
        return
    tier, interval = plan
    grant = 0 if tier.unlimited else (tier.credits_per_month or 0) * MONTHS_PER_INTERVAL[interval]
    _once(tx, f"{invoice['id']}#paid", _invoice_transaction_id(invoice))
    record = _invoice_record(invoice, user_id, tier, interval, "completed", grant)
    existing = _transaction(record.id)
    if existing is None:
        tx.put("transaction", record, PaymentTransaction.id.does_not_exist())
    else:  # its payment had failed before; this retry paid it
        _set_status(tx, existing, "completed", PaymentTransaction.credits.set(grant))
    if record.payment_intent_id:
        _ref(tx, "ref-intent", f"pi#{record.payment_intent_id}", record)
    if grant:
        credits.movement(tx, user_id, load_account(user_id), grant, "subscription", invoice["id"])


def invoice_failed(tx: Transaction, event: Event, invoice: dict[str, Any]) -> None:
    user_id, plan = _customer_user(invoice.get("customer")), _plan_of(invoice)
    if user_id is None or plan is None or _transaction(_invoice_transaction_id(invoice)) is not None:
        return
    record = _invoice_record(invoice, user_id, *plan, "failed", 0)
    record.amount_cents = int(invoice.get("amount_due") or 0)
    tx.put("transaction", record, PaymentTransaction.id.does_not_exist())


# --- subscriptions ---------------------------------------------------------------------------------------
_RANK = {
    "customer.subscription.created": 0,
    "customer.subscription.updated": 1,
    "customer.subscription.deleted": 2,
}


def subscription_changed(tx: Transaction, event: Event, subscription: dict[str, Any]) -> None:
    """The subscription's state as of this event, unless a later event (or a newer subscription) has
    already been applied: out-of-order delivery ends in the latest state."""
    user_id, plan = _customer_user(subscription.get("customer")), _plan_of(subscription)
    if user_id is None or plan is None:
        return
    tier, interval = plan
    account = load_account(user_id)
    order = int(event.get("created") or 0) * 10 + _RANK[event["type"]]
    created = int(subscription.get("created") or 0)
    if account and account.subscription_id:
        if account.subscription_id != subscription["id"] and (account.subscription_created or 0) > created:
            return  # about an older subscription than the user's current one
        if account.subscription_id == subscription["id"] and (
            account.subscription_status == "canceled" or (account.subscription_event_order or 0) > order
        ):
            return  # canceled is final; an older event than the one applied changes nothing
    status = "canceled" if event["type"].endswith(".deleted") else str(subscription.get("status"))
    effective = tier.tier if status in LIVE_SUBSCRIPTION else "free"
    period_end = subscription.get("current_period_end")
    if period_end is None:
        items = (subscription.get("items") or {}).get("data") or [{}]
        period_end = items[0].get("current_period_end")
    actions = [
        CreditAccount.tier.set(effective),
        CreditAccount.subscription_id.set(subscription["id"]),
        CreditAccount.subscription_created.set(created),
        CreditAccount.subscription_status.set(status),
        CreditAccount.subscription_tier.set(tier.tier),
        CreditAccount.subscription_interval.set(interval),
        CreditAccount.cancel_at_period_end.set(bool(subscription.get("cancel_at_period_end"))),
        CreditAccount.subscription_event_order.set(order),
        CreditAccount.created_at.set(CreditAccount.created_at | clock.iso_precise()),
    ]
    if period_end:
        actions.append(CreditAccount.current_period_end.set(int(period_end)))
    read = account.subscription_event_order if account else None
    condition = (
        CreditAccount.subscription_event_order.does_not_exist()
        if read is None
        else CreditAccount.subscription_event_order == read
    )
    tx.update("subscription", CreditAccount(user_id), actions, condition)
    set_subscription_tier(tx, user_id, effective)


# --- refunds and disputes --------------------------------------------------------------------------------
def charge_refunded(tx: Transaction, event: Event, charge: dict[str, Any]) -> None:
    """Takes back the credits of what was refunded (in proportion for a partial refund), never below zero:
    what the balance could not cover is the ledger entry's `shortfall`. Keyed on the charge's cumulative
    `amount_refunded`, so the same refund reported twice changes nothing."""
    record = _payment_for_charge(charge.get("id"), _id(charge.get("payment_intent")))
    refunded = int(charge.get("amount_refunded") or 0)
    if record is None or refunded <= record.refunded_cents:
        return
    full = refunded >= record.amount_cents
    target = record.credits if full else record.credits * refunded // record.amount_cents
    actions = [
        PaymentTransaction.refunded_cents.set(refunded),
        PaymentTransaction.credits_reversed.set(target),
        PaymentTransaction.updated_at.set(clock.iso_precise()),
    ]
    if full:
        actions.append(PaymentTransaction.status.set("refunded"))
    tx.update("transaction", record, actions, PaymentTransaction.refunded_cents == record.refunded_cents)
    now = clock.iso_precise()
    refund = PaymentTransaction(
        f"refund-{charge['id']}-{refunded}",
        user_id=record.user_id,
        type="refund",
        amount_cents=refunded - record.refunded_cents,
        currency=record.currency,
        status="completed",
        description=f"Refund: {record.description}",
        created_at=now,
        updated_at=now,
    )
    tx.put("refund", refund, PaymentTransaction.id.does_not_exist())
    take = target - record.credits_reversed
    if take > 0:
        account = load_account(record.user_id)
        credits.movement(tx, record.user_id, account, -take, "refund", record.id, floor_at_zero=True)


def dispute_created(tx: Transaction, event: Event, dispute: dict[str, Any]) -> None:
    record = _payment_for_charge(_id(dispute.get("charge")), _id(dispute.get("payment_intent")))
    if record is None:
        return
    _once(tx, f"{dispute['id']}#dispute", record.id)
    if record.status != "disputed":
        _set_status(tx, record, "disputed")
    notify_in(
        tx,
        record.user_id,
        "payment",
        "Payment disputed",
        f"A dispute was opened for your payment: {record.description}.",
        {"transactionId": record.id, "disputeId": dispute["id"], "status": "disputed"},
    )


HANDLERS: dict[str, Effects] = {
    "payment_intent.succeeded": intent_succeeded,
    "payment_intent.payment_failed": intent_failed,
    "invoice.paid": invoice_paid,
    "invoice.payment_succeeded": invoice_paid,
    "invoice.payment_failed": invoice_failed,
    "customer.subscription.created": subscription_changed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_changed,
    "charge.refunded": charge_refunded,
    "charge.dispute.created": dispute_created,
}
