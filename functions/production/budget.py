"""GET /api/analytics/budget/{id} (the company or the creator; an investor 403, anyone else 404)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.production import service


@api(roles={"production", "creator"})
def handler(request: Request) -> Response:
    return ok(service.budget(request.caller(), request.path_param("id")))
