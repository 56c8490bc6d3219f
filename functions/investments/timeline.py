"""GET /api/investments/{id}/timeline (either party) → `[{status, at, byUserId, note}]`, oldest first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.investments import service


@api()
def handler(request: Request) -> Response:
    return ok(service.timeline(request.caller(), request.path_param("id")))
