"""GET /api/production/projects/{id}/history (company or creator) → `[{at, actorId, changes}]`."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.production import service


@api(roles={"production", "creator"})
def handler(request: Request) -> Response:
    return ok(service.history(request.caller(), request.path_param("id")))
