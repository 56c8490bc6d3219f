"""GET /api/payments/history: the caller's payments, refunds and failures, newest first (cursor)."""

from pitchey.core.http import Request, Response, api, ok, page_metadata
from pitchey.payments import service


@api()
def handler(request: Request) -> Response:
    page = request.page()
    items, cursor, number = service.history(request.require_user().id, page)
    return ok(items, page_metadata(page.limit, cursor, number))
