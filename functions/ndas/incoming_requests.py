"""GET /api/ndas/incoming-requests?status= (creator): NDAs for the caller's pitches, newest first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok, page_metadata
from pitchey.ndas import service
from pitchey.ndas.models import STATUSES


@api(roles={"creator"})
def handler(request: Request) -> Response:
    status = request.choice_param("status", STATUSES)
    page = request.page()
    items, cursor = service.incoming_requests(service.Caller.of(request), status, page)
    return ok(items, page_metadata(page.limit, cursor))
