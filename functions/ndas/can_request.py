"""GET /api/ndas/can-request/{pitchId} → `{canRequest, reason}` (reason: null, ROLE_NOT_ALLOWED,
NDA_NOT_REQUIRED or NDA_EXISTS); 404 for a pitch that is not published."""

from pitchey.core.http import Request, Response, api, ok
from pitchey.ndas import service


@api()
def handler(request: Request) -> Response:
    return ok(service.can_request(request.caller(), request.path_param("pitchId")))
