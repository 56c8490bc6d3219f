"""POST /api/payments/credits/purchase {pack, paymentMethodId} → 201 pending (or failed) payment. The credits
come with Stripe's `payment_intent.succeeded` webhook, never from this call."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created
from pitchey.payments import billing
from pitchey.payments.schemas import Purchase


@api(idempotent=True, verified=True)
def handler(request: Request) -> Response:
    return created(billing.purchase(request.require_user().id, request.parse(Purchase)))
