"""POST /api/production/projects/{id}/decline (the pitch's creator, proposed only) → `project`."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.production import service
from pitchey.production.schemas import NoBody


@api(roles={"creator"})
def handler(request: Request) -> Response:
    request.parse(NoBody)
    return ok(service.decline(request.caller(), request.path_param("id")))
