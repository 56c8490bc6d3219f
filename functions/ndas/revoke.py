"""POST /api/ndas/{id}/revoke (the pitch's creator, signed only) → 200 `nda` (revoked); access closes."""

from pitchey.core.http import Request, Response, api, ok
from pitchey.ndas import service
from pitchey.ndas.schemas import NoBody


@api()
def handler(request: Request) -> Response:
    request.parse(NoBody)
    return ok(service.revoke(request.caller(), request.path_param("id")))
