"""The Stripe client, configured once per execution environment. `stripe` is imported here only, so only the
payment functions load it (cold start).

Base URL: `STRIPE_API_BASE` (the template says https://api.stripe.com; pitchey-local rewrites it to its
localstripe, e.g. http://127.0.0.1:8420). Key: against localstripe (which takes any `sk_test_…` and has no
real keys) a fixed test key, else the `apiKey` of the Secrets Manager secret StripeApiKey (pitchey.core.keys;
`STRIPE_API_KEY` in tests).
"""

from __future__ import annotations

from typing import Any

from pitchey.core import keys
from pitchey.core.errors import AppError, ValidationFailed
from pitchey.core.log import logger
from pitchey.core.settings import settings


class StripeUnavailable(AppError):
    status, code = 503, "SERVICE_UNAVAILABLE"


class PaymentDeclined(AppError):
    status, code = 402, "PAYMENT_DECLINED"


STRIPE_API = "https://api.stripe.com"
LOCAL_KEY = "sk_test_pitchey_local"


def is_local() -> bool:
    """Talking to localstripe rather than Stripe."""
    return settings().stripe_api_base.rstrip("/") != STRIPE_API


def _api_key() -> str:
    if is_local() and not settings().stripe_api_key:
        return LOCAL_KEY
    return keys.current(keys.STRIPE_API)


def stripe() -> Any:
    import stripe as stripe_module

    stripe_module.api_key = _api_key()  # cached by pitchey.core.keys: a rolled key arrives within MAX_AGE
    stripe_module.api_base = settings().stripe_api_base or STRIPE_API
    stripe_module.max_network_retries = 2
    return stripe_module


def translate(error: Exception, field: str = "paymentMethodId") -> AppError:
    """A Stripe error as the client should see it (the caller raises it)."""
    module = stripe()
    if isinstance(error, module.CardError):
        return PaymentDeclined(getattr(error, "user_message", None) or "Your card was declined")
    if isinstance(error, module.InvalidRequestError) and getattr(error, "http_status", None) in (400, 404):
        return ValidationFailed.field(field, "Stripe refused this payment method")
    logger.exception("stripe call failed")
    return StripeUnavailable("Payments are unavailable right now, please retry")


def ensure_plan(plan_id: str, amount_cents: int, interval: str, name: str) -> None:
    """Our plans exist in Stripe under our own ids (created on first use; Plans are Prices to Stripe)."""
    module = stripe()
    try:
        module.Plan.retrieve(plan_id)
        return
    except module.InvalidRequestError as error:
        if getattr(error, "http_status", None) != 404:
            raise
    try:
        module.Plan.create(
            id=plan_id,
            amount=amount_cents,
            currency="eur",
            interval=interval,
            product={"name": name},
        )
    except module.InvalidRequestError as error:
        if getattr(error, "http_status", None) not in (400, 409):  # created meanwhile by another request
            raise


def subscription_item(plan_id: str) -> dict[str, str]:
    """localstripe knows only the legacy `plan` of a subscription item; Stripe takes that id as `price`."""
    return {"plan": plan_id} if is_local() else {"price": plan_id}
