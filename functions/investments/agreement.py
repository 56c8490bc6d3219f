"""GET /api/investments/{id}/agreement (either party) → `{downloadUrl, expiresAt}` of the agreement PDF."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.investments import service


@api()
def handler(request: Request) -> Response:
    return ok(service.agreement(request.caller(), request.path_param("id")))
