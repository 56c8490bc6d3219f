"""GET /api/ndas/{id} (either party) → `nda`."""

from pitchey.core.http import Request, Response, api, ok
from pitchey.ndas import service


@api()
def handler(request: Request) -> Response:
    return ok(service.get(request.caller(), request.path_param("id")))
