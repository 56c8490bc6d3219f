"""PUT /api/production/projects/{id} (company) `{title?, stage?, status?, targetReleaseDate?}` → `project`."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.production import service
from pitchey.production.schemas import UpdateProject


@api(roles={"production"})
def handler(request: Request) -> Response:
    body = request.parse(UpdateProject)
    return ok(service.update(request.caller(), request.path_param("id"), body))
