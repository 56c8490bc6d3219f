"""GET /api/ndas/incoming-requests?status= (creator): NDAs for the caller's pitches, newest first."""

from pitchey.core.http import Request, Response, api, ok_page
from pitchey.ndas import service
from pitchey.ndas.models import STATUSES


@api(roles={"creator"})
def handler(request: Request) -> Response:
    status = request.choice_param("status", STATUSES)
    return ok_page(service.incoming_requests(request.caller(), status, request.page()))
