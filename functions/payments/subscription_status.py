"""GET /api/payments/subscription-status: the caller's subscription as Stripe last confirmed it."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.payments import billing


@api()
def handler(request: Request) -> Response:
    return ok(billing.subscription_status(request.require_user().id))
