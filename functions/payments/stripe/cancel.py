"""POST /api/payments/cancel: the caller's subscription ends at the end of its period."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.payments import billing
from pitchey.payments.schemas import NoBody


@api()
def handler(request: Request) -> Response:
    request.parse(NoBody)
    return ok(billing.cancel(request.require_user().id))
