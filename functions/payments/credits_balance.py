"""GET /api/payments/credits/balance → {balance, lifetimePurchased, lifetimeUsed, unlimited}."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.payments import service


@api()
def handler(request: Request) -> Response:
    return ok(service.balance(request.require_user().id))
