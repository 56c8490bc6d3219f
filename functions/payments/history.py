"""GET /api/payments/history: the caller's payments, refunds and failures, newest first (cursor)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page
from pitchey.payments import service


@api()
def handler(request: Request) -> Response:
    return ok_page(service.history(request.require_user().id, request.page()), service.transaction_view)
