"""GET /api/ndas/incoming-signed (creator): signed NDAs for the caller's pitches, newest first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok, page_metadata
from pitchey.ndas import service


@api(roles={"creator"})
def handler(request: Request) -> Response:
    page = request.page()
    items, cursor = service.incoming_signed(service.Caller.of(request), page)
    return ok(items, page_metadata(page.limit, cursor))
