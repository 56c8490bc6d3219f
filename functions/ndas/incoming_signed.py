"""GET /api/ndas/incoming-signed (creator): signed NDAs for the caller's pitches, newest first."""

from pitchey.core.http import Request, Response, api, ok_page
from pitchey.ndas import service


@api(roles={"creator"})
def handler(request: Request) -> Response:
    return ok_page(service.incoming_signed(request.caller(), request.page()))
