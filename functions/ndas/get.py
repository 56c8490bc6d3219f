"""GET /api/ndas/{id} (either party) → `nda`."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.ndas import service


@api()
def handler(request: Request) -> Response:
    return ok(service.get(request.caller(), request.path_param("id")))
