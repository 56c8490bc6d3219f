"""POST /api/webhooks/stripe (public; Stripe calls it): a signed event, applied exactly once."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.investments import service as investments
from pitchey.payments import webhooks


@api(auth="none")
def handler(request: Request) -> Response:
    signature = request.headers.get("stripe-signature")
    return ok(webhooks.receive(request.body_bytes(), signature, investments.activate_paid))
