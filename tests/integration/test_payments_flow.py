"""Payments end to end through `pitchey-local`: its localstripe component, real signed webhooks to the
runtime's /api/webhooks/stripe, and real parallel requests against credit balances."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.integration.accounts import Account, register

RUNTIME_OVERRIDES = {"StarterCredits": "100"}  # ten media uploads' worth
DEV_SECRET = "whsec_local_dev_only"


@pytest.fixture(scope="module")
def stripe(runtime) -> httpx.Client:
    """localstripe itself, as Stripe's dashboard would be: to refund and to end subscriptions."""
    health = runtime.client.get("/_local/health").json()
    assert runtime.stripe in json.dumps(health)  # listed with its URL
    return httpx.Client(base_url=runtime.stripe, auth=("sk_test_integration", ""), timeout=10)


def wait_for(predicate, seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError("Stripe's webhook did not take effect")


def data(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()["data"]


def balance(runtime, account: Account) -> int:
    return data(runtime.client.get("/api/payments/credits/balance", headers=account.headers))["balance"]


def history(runtime, account: Account) -> list[dict]:
    return data(runtime.client.get("/api/payments/history", headers=account.headers))


def test_plans_are_public(runtime):
    plans = data(runtime.client.get("/api/payments/plans"))
    assert plans["costs"] == {"ndaRequest": 10, "mediaUpload": 10, "message": 2}


def test_a_purchase_is_granted_by_localstripes_signed_webhook_exactly_once(runtime):
    buyer = register(runtime, "investor")
    assert balance(runtime, buyer) == 100
    body = {"pack": "pack30", "paymentMethodId": "pm_card_visa"}
    answer = data(
        runtime.client.post("/api/payments/credits/purchase", json=body, headers=buyer.headers), 201
    )
    assert (answer["status"], answer["amountCents"], answer["credits"]) == ("pending", 2999, 40)
    wait_for(lambda: balance(runtime, buyer) == 140)
    time.sleep(1.5)
    assert balance(runtime, buyer) == 140
    [record] = history(runtime, buyer)
    assert (record["id"], record["status"]) == (answer["transactionId"], "completed")


def test_a_declined_card_grants_nothing_and_history_shows_failed(runtime):
    buyer = register(runtime, "creator")
    body = {"pack": "pack10", "paymentMethodId": "pm_card_chargeCustomerFail"}
    answer = data(
        runtime.client.post("/api/payments/credits/purchase", json=body, headers=buyer.headers), 201
    )
    assert answer["status"] == "failed"
    time.sleep(2.5)
    assert balance(runtime, buyer) == 100
    assert [(h["type"], h["status"]) for h in history(runtime, buyer)] == [("credits", "failed")]


def test_subscription_lifecycle_through_localstripe(runtime, stripe):
    producer = register(runtime, "production")
    body = {"tier": "production_plus", "interval": "month", "paymentMethodId": "pm_card_visa"}
    answer = data(runtime.client.post("/api/payments/subscribe", json=body, headers=producer.headers))
    assert answer["status"] == "active"

    def status() -> dict:
        return data(runtime.client.get("/api/payments/subscription-status", headers=producer.headers))

    wait_for(lambda: status()["tier"] == "production_plus")
    wait_for(lambda: balance(runtime, producer) == 140)  # the first invoice: 40 credits
    me = data(runtime.client.get("/api/auth/me", headers=producer.headers))
    assert me["subscriptionTier"] == "production_plus"

    cancelled = data(runtime.client.post("/api/payments/cancel", json={}, headers=producer.headers))
    assert cancelled["cancelAtPeriodEnd"] is True and cancelled["status"] == "active"
    subscriptions = stripe.get("/v1/subscriptions").json()["data"]
    [mine] = [s for s in subscriptions if s["metadata"].get("userId") == producer.id]
    assert stripe.delete(f"/v1/subscriptions/{mine['id']}").status_code == 200  # the period ends
    wait_for(lambda: status()["status"] == "canceled")
    assert status()["tier"] == "free"


def test_fifty_parallel_upload_urls_on_a_balance_for_ten_succeed_exactly_ten_times(runtime):
    creator = register(runtime, "creator")
    pitch = data(
        runtime.client.post(
            "/api/pitches",
            json={"title": "Ten Lights", "logline": "A race.", "genre": "drama", "format": "feature"},
            headers=creator.headers,
        ),
        201,
    )
    body = {"fileName": "a.png", "contentType": "image/png", "sizeBytes": 1000, "kind": "image"}

    def start(_: int) -> int:
        with httpx.Client(base_url=runtime.http, timeout=60) as client:
            return client.post(
                f"/api/pitches/{pitch['id']}/media", json=body, headers=creator.headers
            ).status_code

    def warm(_: int) -> int:  # a refused body (422, free) starts the function's workers before the race
        with httpx.Client(base_url=runtime.http, timeout=60) as client:
            return client.post(
                f"/api/pitches/{pitch['id']}/media", json={}, headers=creator.headers
            ).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(warm, range(8))) == {422}
    with ThreadPoolExecutor(50) as pool:
        statuses = sorted(pool.map(start, range(50)))
    assert statuses == [201] * 10 + [402] * 40, dict(Counter(statuses))
    assert balance(runtime, creator) == 0
    ledger = data(runtime.client.get("/api/payments/credits/ledger?limit=100", headers=creator.headers))
    debits = [e for e in ledger if e["reason"] == "media_upload"]
    assert sorted(e["balanceAfter"] for e in debits) == list(range(0, 100, 10))


def signed_post(
    runtime, event: dict, secret: str = DEV_SECRET, timestamp: int | None = None
) -> httpx.Response:
    raw = json.dumps(event).encode()
    t = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    headers = {"Stripe-Signature": f"t={t},v1={signature}", "Content-Type": "application/json"}
    return runtime.client.post("/api/webhooks/stripe", content=raw, headers=headers)


def test_a_refund_in_stripe_reverses_the_credits(runtime, stripe):
    buyer = register(runtime, "creator")
    body = {"pack": "pack10", "paymentMethodId": "pm_card_visa"}
    intent = data(
        runtime.client.post("/api/payments/credits/purchase", json=body, headers=buyer.headers), 201
    )
    wait_for(lambda: balance(runtime, buyer) == 110)
    refund = stripe.post("/v1/refunds", data={"payment_intent": intent["paymentIntentId"]})
    assert refund.status_code == 200, refund.text
    charge_id = stripe.get(f"/v1/payment_intents/{intent['paymentIntentId']}").json()["latest_charge"]["id"]
    charge = stripe.get(f"/v1/charges/{charge_id}").json()
    # localstripe sends no charge.refunded: send the charge as Stripe would, signed with the endpoint secret.
    event = {
        "id": f"evt_refund_{time.time_ns()}",
        "type": "charge.refunded",
        "created": int(time.time()),
        "data": {"object": charge},
    }
    for _ in range(3):
        assert signed_post(runtime, event).status_code == 200
    assert balance(runtime, buyer) == 100
    assert sorted((h["type"], h["status"]) for h in history(runtime, buyer)) == [
        ("credits", "refunded"),
        ("refund", "completed"),
    ]


def test_the_webhook_refuses_bad_signatures_over_http(runtime):
    event = {"id": "evt_forged", "type": "payment_intent.succeeded", "created": 1, "data": {"object": {}}}
    assert signed_post(runtime, event, secret="whsec_guess").status_code == 400
    assert signed_post(runtime, event, timestamp=int(time.time()) - 400).status_code == 400
    unsigned = runtime.client.post("/api/webhooks/stripe", json=event)
    assert unsigned.status_code == 400 and unsigned.json()["error"]["code"] == "BAD_REQUEST"


def test_an_investment_payment_moves_the_investment_to_active_through_its_workflow(runtime):
    from tests.integration.test_investments_flow import execution, waiting_in
    from tests.integration.test_ndas_flow import published_pitch

    creator, investor = register(runtime, "creator"), register(runtime, "investor")
    body = {"requiresNDA": False, "seekingInvestment": True, "fundingGoalCents": 100_000_000}
    pitch = published_pitch(runtime, creator, **body)
    created = runtime.client.post(
        "/api/investments", json={"pitchId": pitch["id"], "amountCents": 250_000}, headers=investor.headers
    )
    investment_id = data(created, 201)["investment"]["id"]
    for stage, to in (
        ("pending", "due_diligence"),
        ("due_diligence", "negotiation"),
        ("negotiation", "committed"),
    ):
        wait_for(lambda stage=stage: waiting_in(runtime, investment_id, stage))
        move = {"to": to}
        data(
            runtime.client.post(
                f"/api/investments/{investment_id}/transition", json=move, headers=creator.headers
            )
        )
    direct = runtime.client.post(
        f"/api/investments/{investment_id}/transition", json={"to": "active"}, headers=investor.headers
    )
    assert direct.status_code == 409 and direct.json()["error"]["code"] == "PAYMENT_REQUIRED"
    wait_for(lambda: waiting_in(runtime, investment_id, "committed"))

    pay = {"investmentId": investment_id, "paymentMethodId": "pm_card_visa"}
    payment = data(runtime.client.post("/api/payments/process", json=pay, headers=investor.headers), 201)
    assert (payment["status"], payment["amountCents"], payment["currency"]) == ("pending", 250_000, "USD")
    assert runtime.client.post("/api/payments/process", json=pay, headers=creator.headers).status_code == 404

    def status() -> str:
        return data(runtime.client.get(f"/api/investments/{investment_id}", headers=investor.headers))[
            "status"
        ]

    wait_for(lambda: status() == "active")  # localstripe's signed payment_intent.succeeded
    wait_for(lambda: waiting_in(runtime, investment_id, "active"))  # the workflow went on to the next stage
    assert execution(runtime, investment_id) is not None
    [record] = history(runtime, investor)
    assert (record["id"], record["type"], record["status"]) == (
        payment["transactionId"],
        "investment",
        "completed",
    )
