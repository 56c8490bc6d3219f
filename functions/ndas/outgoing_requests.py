"""GET /api/ndas/outgoing-requests?status= (investor, production): the caller's NDAs, newest first."""

from pitchey.core.http import Request, Response, api, ok_page
from pitchey.ndas import service
from pitchey.ndas.models import STATUSES


@api(roles={"investor", "production"})
def handler(request: Request) -> Response:
    status = request.choice_param("status", STATUSES)
    return ok_page(service.outgoing_requests(request.caller(), status, request.page()))
