"""GET /api/ndas/outgoing-requests?status= (investor, production): the caller's NDAs, newest first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok, page_metadata
from pitchey.ndas import service
from pitchey.ndas.models import STATUSES


@api(roles={"investor", "production"})
def handler(request: Request) -> Response:
    status = request.choice_param("status", STATUSES)
    page = request.page()
    items, cursor = service.outgoing_requests(service.Caller.of(request), status, page)
    return ok(items, page_metadata(page.limit, cursor))
