"""Purchases and subscriptions against a real localstripe (a subprocess), confirmed by the signed webhooks
localstripe sends: they are received over HTTP here and handed to the webhook function with their raw body
and headers, as API Gateway does. (The local runtime's own localstripe component is exercised end to end by
tests/integration/test_payments_flow.py.)"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from local.procutil import free_port
from pitchey.core import clock
from pitchey.payments import billing, stripe_api
from pitchey.payments.models import CreditAccount
from pitchey.users.models import User
from tests.auth_support import register
from tests.events import call, http_event, load_handler
from tests.payments_support import WEBHOOK_SECRET, sign, stripe_event
from tests.unit.accounts import Actor
from tests.unit.pitches_support import hit

WEBHOOK = load_handler("payments/webhook")


class _Receiver(BaseHTTPRequestHandler):
    """Stripe's side of the webhook: POST the signed raw body, as API Gateway would hand it on."""

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {"stripe-signature": self.headers.get("Stripe-Signature", "")}
        answer = call(
            WEBHOOK, http_event("POST", "/api/webhooks/stripe", raw_body=raw.decode(), headers=headers)
        )
        self.send_response(answer.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def localstripe() -> Iterator[str]:
    receiver = ThreadingHTTPServer(("127.0.0.1", free_port()), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tempfile.gettempdir(),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                hook = urllib.parse.urlencode(
                    {"url": f"http://127.0.0.1:{receiver.server_port}/", "secret": WEBHOOK_SECRET}
                ).encode()
                urllib.request.urlopen(f"{url}/_config/webhooks/tests", data=hook, timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("localstripe did not start")
        yield url
    finally:
        process.terminate()
        process.wait(10)
        receiver.shutdown()


@pytest.fixture
def stripe_env(aws, localstripe, monkeypatch, setenv):
    setenv("STRIPE_API_BASE", localstripe)
    setenv("STRIPE_API_KEY", "sk_test_unit_tests")
    setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    stripe = stripe_api.stripe()
    stripe.api_key, stripe.api_base = "sk_test_unit_tests", localstripe
    return stripe


def account_for(portal: str) -> Actor:
    answer = register(
        portal, email=f"{portal}{time.time_ns()}@example.com", username=f"u{time.time_ns()}"[:30]
    )
    assert answer.status == 201, answer.body
    user = answer.data["user"]
    token = answer.data["accessToken"]
    # As after following the registration mail (the verification flow is tested in test_auth_*).
    User(user["id"]).update(actions=[User.email_verified_at.set(clock.iso())])
    return Actor(user["id"], portal, token, "", user["username"], user["email"], user["username"])


def wait_for(predicate, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("the webhook did not arrive")


def balance(actor: Actor) -> int:
    return hit("payments/credits_balance", "GET", "/api/payments/credits/balance", actor).data["balance"]


def history(actor: Actor) -> list[dict]:
    return hit("payments/history", "GET", "/api/payments/history", actor).data


def purchase(actor: Actor, pack: str, method: str, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else None
    return hit(
        "payments/stripe/credits_purchase",
        "POST",
        "/api/payments/credits/purchase",
        actor,
        body={"pack": pack, "paymentMethodId": method},
        headers=headers,
    )


def test_a_purchase_is_pending_until_stripes_signed_webhook_grants_it(stripe_env):
    buyer = account_for("creator")
    answer = purchase(buyer, "pack10", "pm_card_visa")
    assert answer.status == 201, answer.body
    data = answer.data
    assert (data["status"], data["amountCents"], data["currency"], data["credits"]) == (
        "pending",
        1499,
        "EUR",
        10,
    )
    assert data["paymentIntentId"].startswith("pi_")
    assert balance(buyer) == 10  # the starter credits only: localstripe sends its webhook a second later
    wait_for(lambda: balance(buyer) == 20)
    [record] = history(buyer)
    assert (record["id"], record["type"], record["status"]) == (data["transactionId"], "credits", "completed")
    ledger = hit("payments/credits_ledger", "GET", "/api/payments/credits/ledger", buyer).data
    assert [(e["reason"], e["delta"], e["balanceAfter"]) for e in ledger] == [
        ("purchase", 10, 20),
        ("starter", 10, 10),
    ]


def test_a_declined_card_grants_nothing_and_shows_failed(stripe_env):
    buyer = account_for("investor")
    answer = purchase(buyer, "pack5", "pm_card_chargeCustomerFail")
    assert answer.status == 201 and answer.data["status"] == "failed"
    time.sleep(2.5)  # localstripe's payment_intent.payment_failed arrives meanwhile
    assert balance(buyer) == 10
    [record] = history(buyer)
    assert (record["status"], record["amountCents"]) == ("failed", 899)


def test_an_idempotency_key_replays_the_purchase(stripe_env):
    buyer = account_for("creator")
    first = purchase(buyer, "pack1", "pm_card_visa", key="buy-once")
    second = purchase(buyer, "pack1", "pm_card_visa", key="buy-once")
    assert first.data == second.data
    wait_for(lambda: balance(buyer) == 11)
    time.sleep(1.5)
    assert balance(buyer) == 11 and len(history(buyer)) == 1


def test_the_stripe_customer_is_created_once_per_user_even_when_raced(stripe_env):
    buyer = account_for("creator")
    with ThreadPoolExecutor(5) as pool:
        ids = set(pool.map(lambda _: billing.ensure_customer(buyer.id), range(5)))
    assert len(ids) == 1 and CreditAccount.get(buyer.id).customer_id in ids


def subscribe(actor: Actor, tier: str, method: str = "pm_card_visa", interval: str = "month"):
    body = {"tier": tier, "interval": interval, "paymentMethodId": method}
    return hit("payments/stripe/subscribe", "POST", "/api/payments/subscribe", actor, body=body)


def status(actor: Actor) -> dict:
    return hit("payments/subscription_status", "GET", "/api/payments/subscription-status", actor).data


def test_subscription_lifecycle_subscribe_active_cancel_end(stripe_env):
    creator = account_for("creator")
    assert status(creator) == {
        "tier": "free",
        "status": "none",
        "interval": None,
        "currentPeriodEnd": None,
        "cancelAtPeriodEnd": None,
        "creditsPerMonth": None,
    }
    answer = subscribe(creator, "creator_plus")
    assert answer.status == 200, answer.body
    assert (answer.data["tier"], answer.data["status"], answer.data["creditsPerMonth"]) == (
        "creator_plus",
        "active",
        30,
    )
    assert User.get(creator.id).subscription_tier == "free"  # not before Stripe's webhook
    confirmed = wait_for(lambda: (s := status(creator))["tier"] == "creator_plus" and s)
    assert confirmed["status"] == "active" and confirmed["currentPeriodEnd"].endswith("Z")
    wait_for(lambda: balance(creator) == 10 + 30)  # invoice.payment_succeeded: one month of credits
    assert User.get(creator.id).subscription_tier == "creator_plus"
    assert subscribe(creator, "creator").code == "SUBSCRIPTION_EXISTS"

    cancelled = hit("payments/stripe/cancel", "POST", "/api/payments/cancel", creator)
    assert cancelled.status == 200 and cancelled.data["cancelAtPeriodEnd"] is True
    assert cancelled.data["tier"] == "creator_plus"  # paid until the period ends
    # The period ends: Stripe deletes the subscription and says so.
    stripe_env.Subscription.delete(CreditAccount.get(creator.id).subscription_id)
    ended = wait_for(lambda: (s := status(creator))["status"] == "canceled" and s)
    assert ended["tier"] == "free" and User.get(creator.id).subscription_tier == "free"
    assert [h["type"] for h in history(creator)] == ["subscription"]


def test_a_tier_of_another_portal_is_422_and_cancel_without_one_is_409(stripe_env):
    investor = account_for("investor")
    wrong = subscribe(investor, "creator_plus")
    assert wrong.status == 422 and wrong.body["error"]["details"][0]["field"] == "tier"
    refused = hit("payments/stripe/cancel", "POST", "/api/payments/cancel", investor)
    assert refused.code == "NO_ACTIVE_SUBSCRIPTION"


def test_a_declined_subscription_stays_incomplete_and_free(stripe_env):
    producer = account_for("production")
    answer = subscribe(producer, "production", method="pm_card_chargeCustomerFail")
    assert answer.status == 200 and answer.data["status"] == "incomplete"
    # localstripe reports the first invoice's decline only as customer.subscription.created (incomplete).
    confirmed = wait_for(lambda: (s := status(producer))["status"] != "none" and s)
    assert (confirmed["status"], confirmed["tier"]) == ("incomplete", "free")
    assert balance(producer) == 10 and User.get(producer.id).subscription_tier == "free"


def test_a_refund_made_in_stripe_reverses_the_credits(stripe_env):
    buyer = account_for("creator")
    intent_id = purchase(buyer, "pack30", "pm_card_visa").data["paymentIntentId"]
    wait_for(lambda: balance(buyer) == 50)
    stripe_env.Refund.create(payment_intent=intent_id)
    # localstripe records the refund but sends no charge.refunded: deliver the charge as Stripe would.
    charge = stripe_env.Charge.retrieve(
        stripe_env.PaymentIntent.retrieve(intent_id).latest_charge.id
    ).to_dict()
    assert charge["amount_refunded"] == 2999
    import json

    raw = json.dumps(stripe_event("charge.refunded", charge)).encode()
    http = http_event(
        "POST", "/api/webhooks/stripe", raw_body=raw.decode(), headers={"stripe-signature": sign(raw)}
    )
    assert call(WEBHOOK, http).status == 200
    assert balance(buyer) == 10
    assert sorted((h["type"], h["status"]) for h in history(buyer)) == [
        ("credits", "refunded"),
        ("refund", "completed"),
    ]


def test_erasure_ends_the_subscription_and_deletes_the_stripe_customer(stripe_env, setenv):
    """An erased account must never be charged again, and Stripe keeps no card of it."""
    from pitchey.privacy import erasure
    from tests.unit.test_privacy_service import delete_me

    creator = account_for("creator")
    assert subscribe(creator, "creator_plus").status == 200
    wait_for(lambda: status(creator)["tier"] == "creator_plus")
    account = CreditAccount.get(creator.id)
    setenv("ACCOUNT_DELETION_GRACE_SECONDS", "0")
    assert delete_me(creator.token).status == 202
    assert erasure.run_due() == {"erased": 1}

    assert stripe_env.Subscription.retrieve(account.subscription_id)["status"] == "canceled"
    with pytest.raises(stripe_env.InvalidRequestError):
        stripe_env.Customer.retrieve(account.customer_id)
    assert CreditAccount.get(creator.id).subscription_status == "canceled"
    assert billing.close_customer(creator.id) == 0  # a re-run: gone already, nothing to do
