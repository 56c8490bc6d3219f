"""POST /api/ndas/{id}/approve (the pitch's creator, pending only) → 200 `nda` (approved)."""

from pitchey.core.http import Request, Response, api, ok
from pitchey.ndas import service
from pitchey.ndas.schemas import NoBody


@api()
def handler(request: Request) -> Response:
    request.parse(NoBody)
    return ok(service.approve(request.caller(), request.path_param("id")))
