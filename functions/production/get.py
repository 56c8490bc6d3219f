"""GET /api/production/projects/{id} (the company or the pitch's creator; anyone else 404) → `project`."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.production import service


@api(roles={"production", "creator"})
def handler(request: Request) -> Response:
    return ok(service.get(request.caller(), request.path_param("id")))
