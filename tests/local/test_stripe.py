"""Stripe as a runtime component: localstripe on --stripe-port, listed in /_local/health, functions that
declare STRIPE_API_BASE pointed at it, and its events delivered, signed with the development secret, to the
runtime's /api/webhooks/stripe (tests/local/fixtures/functions/stripe_app.py verifies the signature)."""

from __future__ import annotations

import json
import time

import stripe

from local.model import AppModel
from local.stripelocal import DEV_WEBHOOK_SECRET, LOCAL_PARAMETER_DEFAULTS, StripeServer, webhook_secret
from local.testing import RuntimeProcess
from tests.local.conftest import FIXTURE_TEMPLATE


def recorded(rt: RuntimeProcess, key: str, timeout: float = 15.0) -> dict | None:
    table = rt.boto3("dynamodb")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = table.get_item(TableName="ItemsTable", Key={"id": {"S": key}}).get("Item")
        if item:
            return item
        time.sleep(0.2)
    return None


def test_health_lists_stripe_with_its_url_and_webhook(fixture_runtime: RuntimeProcess) -> None:
    body = fixture_runtime.client.get("/_local/health").json()
    assert body["components"]["stripe"] == "ok"
    assert body["urls"]["stripe"] == fixture_runtime.stripe
    assert body["stripe"]["webhook"]["url"] == f"{fixture_runtime.http}/api/webhooks/stripe"


def test_a_customer_is_created_with_the_stripe_library(fixture_runtime: RuntimeProcess) -> None:
    client = stripe.StripeClient("sk_test_from_the_test", base_addresses={"api": fixture_runtime.stripe})
    customer = client.v1.customers.create(params={"email": "direct@example.com"})
    assert customer.id.startswith("cus_")
    assert client.v1.customers.retrieve(customer.id).email == "direct@example.com"


def test_functions_declaring_stripe_api_base_reach_localstripe_and_its_webhook_reaches_them(
    fixture_runtime: RuntimeProcess,
) -> None:
    response = fixture_runtime.client.post("/stripe/customers", json={"email": "via-function@example.com"})
    assert response.status_code == 201, response.text
    customer_id = response.json()["id"]
    # The customer exists in localstripe (the function did not talk to api.stripe.com)...
    client = stripe.StripeClient("sk_test_from_the_test", base_addresses={"api": fixture_runtime.stripe})
    assert client.v1.customers.retrieve(customer_id).email == "via-function@example.com"
    # ...and localstripe's customer.created event came back through the registered webhook, signed with the
    # development secret the function verifies with (StripeWebhookSecret's local default).
    item = recorded(fixture_runtime, f"stripe-event-customer.created-{customer_id}")
    assert item is not None, fixture_runtime.logs()[-3000:]
    assert item["value"]["S"].startswith("evt_")


def fixture_model(overrides: dict[str, str] | None = None) -> AppModel:
    model = AppModel.load(FIXTURE_TEMPLATE, overrides, LOCAL_PARAMETER_DEFAULTS)
    model.resolver.add_rewrite(StripeServer("127.0.0.1", 8421).rewrite)
    model.resolver.secret_arns["FixtureSecret"] = "arn:x"
    model.resolver.secret_reader = lambda _: json.dumps({"signingKey": "k"})
    model.resolve_all()
    return model


def test_only_functions_that_declare_it_get_stripe_settings() -> None:
    model = fixture_model()
    stripe_env = model.functions["StripeFunction"].environment
    assert stripe_env["STRIPE_API_BASE"] == "http://127.0.0.1:8421"
    assert stripe_env["STRIPE_WEBHOOK_SECRET"] == DEV_WEBHOOK_SECRET == webhook_secret(model.parameters)
    assert "STRIPE_API_BASE" not in model.functions["EchoFunction"].environment


def test_an_overridden_webhook_secret_wins_over_the_local_default() -> None:
    model = fixture_model({"StripeWebhookSecret": "whsec_mine"})
    assert model.functions["StripeFunction"].environment["STRIPE_WEBHOOK_SECRET"] == "whsec_mine"
    assert webhook_secret(model.parameters) == "whsec_mine"


def test_a_forged_webhook_is_refused(fixture_runtime: RuntimeProcess) -> None:
    forged = stripe.WebhookSignature._compute_signature(f"{int(time.time())}.{{}}", "whsec_not_ours")
    response = fixture_runtime.client.post(
        "/api/webhooks/stripe",
        content="{}",
        headers={"Stripe-Signature": f"t={int(time.time())},v1={forged}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
