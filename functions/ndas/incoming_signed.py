"""GET /api/ndas/incoming-signed (creator): signed NDAs for the caller's pitches, newest first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page
from pitchey.ndas import service


@api(roles={"creator"})
def handler(request: Request) -> Response:
    return ok_page(service.incoming_signed(request.caller(), request.page()))
