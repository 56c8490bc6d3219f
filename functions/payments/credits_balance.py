"""GET /api/payments/credits/balance → {balance, lifetimePurchased, lifetimeUsed, unlimited}."""

from pitchey.core.http import Request, Response, api, ok
from pitchey.payments import service


@api()
def handler(request: Request) -> Response:
    return ok(service.balance(request.require_user().id))
