"""POST /api/ndas/{id}/reject `{reason?}` (the pitch's creator, pending only) → 200 `nda` (rejected)."""

from pitchey.core.http import Request, Response, api, ok
from pitchey.ndas import service
from pitchey.ndas.schemas import RejectNda


@api()
def handler(request: Request) -> Response:
    body = request.parse(RejectNda)
    return ok(service.reject(request.caller(), request.path_param("id"), body))
