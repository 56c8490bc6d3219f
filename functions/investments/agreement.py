"""GET /api/investments/{id}/agreement (either party) → `{downloadUrl, expiresAt}` of the agreement PDF."""

from pitchey.core.http import Request, Response, api, ok
from pitchey.investments import service


@api()
def handler(request: Request) -> Response:
    return ok(service.agreement(request.caller(), request.path_param("id")))
