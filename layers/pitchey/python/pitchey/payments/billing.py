"""What the client asks Stripe for: credit pack purchases and subscriptions. Nothing here grants credits or
changes a tier: the signed webhook does (webhooks.py), once Stripe has confirmed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from pitchey.core import clock
from pitchey.core.errors import Conflict, ValidationFailed
from pitchey.core.ids import new_id
from pitchey.payments import stripe_api
from pitchey.payments.credits import load_account
from pitchey.payments.models import CreditAccount, PaymentRecord, PaymentTransaction
from pitchey.payments.plans import CURRENCY, PACKS, TIERS
from pitchey.payments.schemas import ProcessInvestment, Purchase, Subscribe

LIVE_SUBSCRIPTION = ("active", "trialing", "past_due")
SUBSCRIBE_CLAIM_SECONDS = 60


def _conditional_failure(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


# --- customer --------------------------------------------------------------------------------------------
def ensure_customer(user_id: str) -> str:
    """The user's Stripe customer, created once: the account keeps the first id written (conditional)."""
    account = load_account(user_id)
    if account and account.customer_id:
        return account.customer_id
    stripe = stripe_api.stripe()
    customer = stripe.Customer.create(metadata={"userId": user_id}, idempotency_key=f"customer-{user_id}")
    # The reference first: a webhook about this customer must find its user whichever request wins below.
    PaymentRecord(f"customer#{customer.id}", user_id=user_id, created_at=clock.iso()).save()
    try:
        CreditAccount(user_id).update(
            actions=[
                CreditAccount.customer_id.set(customer.id),
                CreditAccount.created_at.set(CreditAccount.created_at | clock.iso_precise()),
            ],
            condition=CreditAccount.customer_id.does_not_exist(),
        )
        return customer.id
    except UpdateError as error:
        if not _conditional_failure(error):
            raise
    winner = load_account(user_id)  # another request bound its customer first: use that one
    if winner is None or not winner.customer_id:
        raise RuntimeError(f"credit account of {user_id} lost its customer")
    return winner.customer_id


def close_customer(user_id: str) -> int:
    """Account erasure: end the user's subscription now and delete their Stripe customer (its payment
    methods go with it), so an erased account is never charged again and Stripe keeps no card of it. The
    account reads canceled at once (the webhooks that follow agree). 1 when the customer was deleted now,
    0 when there was none or it was gone already (a re-run)."""
    account = load_account(user_id)
    if account is None or not account.customer_id:
        return 0
    stripe = stripe_api.stripe()
    if account.subscription_id and account.subscription_status in LIVE_SUBSCRIPTION:
        _gone_is_fine(stripe, lambda: stripe.Subscription.delete(account.subscription_id))
        account.update(
            actions=[
                CreditAccount.subscription_status.set("canceled"),
                CreditAccount.cancel_at_period_end.set(False),
            ]
        )
    return _gone_is_fine(stripe, lambda: stripe.Customer.delete(account.customer_id))


def _gone_is_fine(stripe: Any, delete: Callable[[], Any]) -> int:
    """A Stripe delete; 0 when the object is gone already (404), 1 when deleted now."""
    try:
        delete()
    except stripe.InvalidRequestError as error:
        if getattr(error, "http_status", None) != 404:
            raise
        return 0
    return 1


# --- credit packs ----------------------------------------------------------------------------------------
def purchase(user_id: str, body: Purchase) -> dict[str, Any]:
    pack = PACKS.get(body.pack)
    if pack is None:
        raise ValidationFailed.field("pack", f"Unknown pack; one of: {', '.join(PACKS)}")
    now = clock.iso_precise()
    record = PaymentTransaction(
        new_id(),
        user_id=user_id,
        type="credits",
        amount_cents=pack.price_cents,
        currency=CURRENCY,
        status="pending",
        description=f"{pack.total_credits} credits ({pack.pack})",
        created_at=now,
        updated_at=now,
        credits=pack.total_credits,
        pack=pack.pack,
    )
    record.save(condition=PaymentTransaction.id.does_not_exist())
    return _pay(record, body.payment_method_id, {"kind": "credits", "pack": pack.pack}) | {
        "credits": pack.total_credits
    }


# --- investments ----------------------------------------------------------------------------------------
def process(
    user_id: str, body: ProcessInvestment, payable: Callable[[str, str], dict[str, Any]]
) -> dict[str, Any]:
    """Pay for the caller's committed investment in its amount and currency; the success webhook moves it
    committed → active through the investment workflow. `payable` (the investment context's, passed in by
    the handler so payments does not import it) answers the investment or its 404/409."""
    investment = payable(body.investment_id, user_id)
    now = clock.iso_precise()
    record = PaymentTransaction(
        new_id(),
        user_id=user_id,
        type="investment",
        amount_cents=investment["amountCents"],
        currency=investment["currency"],
        status="pending",
        description=f"Investment in {investment['pitchTitle']}"[:300],
        created_at=now,
        updated_at=now,
        investment_id=investment["id"],
    )
    record.save(condition=PaymentTransaction.id.does_not_exist())
    return _pay(record, body.payment_method_id, {"kind": "investment", "investmentId": investment["id"]})


def _pay(record: PaymentTransaction, payment_method_id: str, metadata: dict[str, str]) -> dict[str, Any]:
    """Create and confirm the PaymentIntent for `record` (already saved as pending, so a webhook that is
    faster than this answer finds it through the intent's metadata)."""
    stripe = stripe_api.stripe()
    try:
        customer = ensure_customer(record.user_id)
        intent = stripe.PaymentIntent.create(
            amount=record.amount_cents,
            currency=record.currency.lower(),
            customer=customer,
            payment_method=payment_method_id,
            payment_method_types=["card"],
            confirm=True,
            metadata={"transactionId": record.id, "userId": record.user_id, **metadata},
            idempotency_key=f"payment-{record.id}",
        )
    except stripe.CardError as error:
        intent_id = getattr(getattr(error, "error", None), "payment_intent", None)
        _settle_failed(record, getattr(intent_id, "id", None), error.user_message or "Card declined")
        return _payment_view(record)
    except stripe.StripeError as error:
        _settle_failed(record, None, "Stripe refused the payment")
        raise stripe_api.translate(error) from None
    actions = [PaymentTransaction.payment_intent_id.set(intent.id)]
    record.update(actions=actions)  # refreshed: the webhook may already have completed it
    PaymentRecord(
        f"pi#{intent.id}", transaction_id=record.id, user_id=record.user_id, created_at=clock.iso()
    ).save()
    return _payment_view(record)


def _settle_failed(record: PaymentTransaction, intent_id: str | None, message: str) -> None:
    actions = [
        PaymentTransaction.status.set("failed"),
        PaymentTransaction.failure_message.set(message[:500]),
        PaymentTransaction.updated_at.set(clock.iso_precise()),
    ]
    if intent_id:
        actions.append(PaymentTransaction.payment_intent_id.set(intent_id))
    try:
        record.update(actions=actions, condition=PaymentTransaction.status == "pending")
    except UpdateError as error:
        if not _conditional_failure(error):
            raise
        record.refresh(consistent_read=True)


def _payment_view(record: PaymentTransaction) -> dict[str, Any]:
    return {
        "transactionId": record.id,
        "paymentIntentId": record.payment_intent_id,
        "status": record.status,
        "amountCents": record.amount_cents,
        "currency": record.currency,
    }


# --- subscriptions ---------------------------------------------------------------------------------------
def _iso_epoch(seconds: int | None) -> str | None:
    return clock.iso(datetime.fromtimestamp(seconds, UTC)) if seconds else None


def subscription_view(account: CreditAccount | None) -> dict[str, Any]:
    if account is None or account.subscription_status is None:
        return {
            "tier": account.tier if account else "free",
            "status": "none",
            "interval": None,
            "currentPeriodEnd": None,
            "cancelAtPeriodEnd": None,
            "creditsPerMonth": None,
        }
    return {
        "tier": account.tier,
        "status": account.subscription_status if account.subscription_status in _SHOWN else "incomplete",
        "interval": account.subscription_interval,
        "currentPeriodEnd": _iso_epoch(account.current_period_end),
        "cancelAtPeriodEnd": bool(account.cancel_at_period_end),
        "creditsPerMonth": TIERS[account.tier].credits_per_month,
    }


_SHOWN = ("active", "incomplete", "past_due", "canceled")


def subscription_status(user_id: str) -> dict[str, Any]:
    return subscription_view(load_account(user_id))


def subscribe(user_id: str, role: str, body: Subscribe) -> dict[str, Any]:
    tier = TIERS.get(body.tier)
    if tier is None or tier.portal is None:
        raise ValidationFailed.field("tier", "Unknown tier")
    if tier.portal != role:
        raise ValidationFailed.field("tier", f"The {tier.tier} tier belongs to the {tier.portal} portal")
    _claim_subscribe(user_id)
    stripe = stripe_api.stripe()
    try:
        customer = ensure_customer(user_id)
        method = stripe.PaymentMethod.attach(body.payment_method_id, customer=customer)
        stripe.Customer.modify(customer, invoice_settings={"default_payment_method": method.id})
        plan_id = tier.plan_id(body.interval)
        stripe_api.ensure_plan(
            plan_id, tier.price_cents(body.interval), body.interval, f"Pitchey {tier.tier}"
        )
        subscription = stripe.Subscription.create(
            customer=customer,
            items=[stripe_api.subscription_item(plan_id)],
            metadata={"userId": user_id, "tier": tier.tier},
            idempotency_key=f"subscribe-{user_id}-{new_id()}",
        )
    except stripe.StripeError as error:
        raise stripe_api.translate(error) from None
    finally:
        _release_subscribe(user_id)
    data = subscription.to_dict()
    _bind_subscription(user_id, data["id"], int(data["created"]))
    period_end = data.get("current_period_end") or _item_period_end(data)
    return {
        "tier": tier.tier,
        "status": data["status"] if data["status"] in _SHOWN else "incomplete",
        "interval": body.interval,
        "currentPeriodEnd": _iso_epoch(period_end),
        "cancelAtPeriodEnd": bool(data.get("cancel_at_period_end")),
        "creditsPerMonth": tier.credits_per_month,
    }


def _item_period_end(subscription: dict[str, Any]) -> int | None:
    items = (subscription.get("items") or {}).get("data") or []
    return items[0].get("current_period_end") if items else None


def _claim_subscribe(user_id: str) -> None:
    """One subscribe at a time per user, and none while a subscription is live (409)."""
    now = clock.epoch()
    condition = (
        CreditAccount.subscription_status.does_not_exist()
        | ~CreditAccount.subscription_status.is_in(*LIVE_SUBSCRIPTION)
    ) & (
        CreditAccount.subscribe_claimed_at.does_not_exist()
        | (CreditAccount.subscribe_claimed_at < now - SUBSCRIBE_CLAIM_SECONDS)
    )
    try:
        CreditAccount(user_id).update(
            actions=[
                CreditAccount.subscribe_claimed_at.set(now),
                CreditAccount.created_at.set(CreditAccount.created_at | clock.iso_precise()),
            ],
            condition=condition,
        )
    except UpdateError as error:
        if _conditional_failure(error):
            raise Conflict(
                "You already have a subscription (or one is being set up)", code="SUBSCRIPTION_EXISTS"
            ) from None
        raise


def _release_subscribe(user_id: str) -> None:
    CreditAccount(user_id).update(actions=[CreditAccount.subscribe_claimed_at.remove()])


def _bind_subscription(user_id: str, subscription_id: str, created: int) -> None:
    """Remember which subscription is the user's (so cancel finds it before the first webhook); its state
    and the tier are the webhook's to set."""
    try:
        CreditAccount(user_id).update(
            actions=[
                CreditAccount.subscription_id.set(subscription_id),
                CreditAccount.subscription_created.set(created),
            ],
            condition=CreditAccount.subscription_created.does_not_exist()
            | (CreditAccount.subscription_created <= created),
        )
    except UpdateError as error:
        if not _conditional_failure(error):
            raise


def cancel(user_id: str) -> dict[str, Any]:
    account = load_account(user_id)
    if account is None or not account.subscription_id or account.subscription_status not in LIVE_SUBSCRIPTION:
        raise Conflict("You have no active subscription to cancel", code="NO_ACTIVE_SUBSCRIPTION")
    stripe = stripe_api.stripe()
    try:
        subscription = stripe.Subscription.modify(account.subscription_id, cancel_at_period_end=True)
    except stripe.StripeError as error:
        raise stripe_api.translate(error) from None
    data = subscription.to_dict()
    try:
        account.update(
            actions=[CreditAccount.cancel_at_period_end.set(bool(data.get("cancel_at_period_end")))],
            condition=CreditAccount.subscription_id == data["id"],
        )
    except UpdateError as error:
        if not _conditional_failure(error):
            raise
        account.refresh(consistent_read=True)
    return subscription_view(account)
