"""POST /api/payments/subscribe {tier, interval, paymentMethodId}: a Stripe subscription on the tier's plan.
The user's tier changes when Stripe's webhook confirms it, not here."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.payments import billing
from pitchey.payments.schemas import Subscribe


@api(idempotent=True, verified=True)
def handler(request: Request) -> Response:
    user = request.require_user()
    return ok(billing.subscribe(user.id, user.role, request.parse(Subscribe)))
