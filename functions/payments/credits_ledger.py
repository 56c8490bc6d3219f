"""GET /api/payments/credits/ledger: every movement of the caller's credits, newest first (cursor)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page
from pitchey.payments import service


@api()
def handler(request: Request) -> Response:
    return ok_page(service.ledger(request.require_user().id, request.page()), service.ledger_view)
