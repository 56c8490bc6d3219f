"""Stripe as a runtime component: localstripe (a stateful fake of Stripe's API) in a child process on
`--stripe-port` (local/stripeserver.py), its webhook registered to the runtime's own HTTP API.

* Webhook: every localstripe event is POSTed, signed like Stripe (`Stripe-Signature: t=...,v1=...`), to
  `<http>/api/webhooks/stripe` with the template Parameter `StripeWebhookSecret` - locally
  `whsec_local_dev_only` unless overridden - so a function verifies it with `stripe.Webhook.construct_event`
  exactly as on AWS.
* API base: a function that declares `STRIPE_API_BASE: https://api.stripe.com` (the value it has on AWS)
  gets the localstripe URL instead, like the WebSocket URLs (a resolver rewrite); functions that do not
  declare it get nothing, so only Stripe's users carry it.
"""

from __future__ import annotations

import os
import sys
import urllib.parse
import urllib.request

from local.procutil import ROOT, ChildServer

STRIPE_API = "https://api.stripe.com"
WEBHOOK_PATH = "/api/webhooks/stripe"
WEBHOOK_SECRET_PARAMETER = "StripeWebhookSecret"  # noqa: S105 (a parameter name)
# Development only (public, in the docs): never the secret of a real endpoint.
DEV_WEBHOOK_SECRET = "whsec_local_dev_only"  # noqa: S105
LOCAL_PARAMETER_DEFAULTS = {WEBHOOK_SECRET_PARAMETER: DEV_WEBHOOK_SECRET}
HEALTH_KEY = "sk_test_pitchey_local"  # localstripe accepts any sk_ key


class StripeServer(ChildServer):
    name = "stripe"
    webhook: dict[str, str] | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "local.stripeserver", "--host", self.host, "--port", str(self.port)]

    def environment(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(ROOT)}

    def health_request(self) -> urllib.request.Request:
        return urllib.request.Request(
            f"{self.endpoint}/v1/customers?limit=1", headers={"Authorization": f"Bearer {HEALTH_KEY}"}
        )

    def is_noise(self, line: str) -> bool:
        # aiohttp's access log (every request) and successful webhook deliveries stay at debug level.
        return '" 2' in line or '" 3' in line or '" 4' in line or "successfully delivered" in line

    def register_webhook(self, url: str, secret: str) -> None:
        """localstripe's `/_config/webhooks/{id}`: sign every event with `secret` and POST it to `url`."""
        body = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
        request = urllib.request.Request(
            f"{self.endpoint}/_config/webhooks/pitchey", data=body, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 200:
                raise RuntimeError(f"localstripe refused the webhook registration: {response.status}")
        self.webhook = {"url": url, "events": "all"}

    def rewrite(self, value: str) -> str:
        """Resolver rewrite: Stripe's API URL -> this server."""
        return self.endpoint + value[len(STRIPE_API) :] if value.startswith(STRIPE_API) else value

    def describe(self) -> dict[str, object]:
        return {"url": self.endpoint, "webhook": self.webhook}


def webhook_secret(parameters: dict[str, object]) -> str:
    return str(parameters.get(WEBHOOK_SECRET_PARAMETER) or DEV_WEBHOOK_SECRET)
