"""POST /api/webhooks/stripe (public; Stripe calls it): a signed event, applied exactly once."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.payments import webhooks


@api(auth="none")
def handler(request: Request) -> Response:
    return ok(webhooks.receive(request.body_bytes(), request.headers.get("stripe-signature")))
