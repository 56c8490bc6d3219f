"""GET /api/investments/{id} (either party) → `investment`."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.investments import service


@api()
def handler(request: Request) -> Response:
    return ok(service.get(request.caller(), request.path_param("id")))
