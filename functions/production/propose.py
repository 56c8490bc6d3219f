"""POST /api/production/projects (production): propose a project from a published pitch → 201 `project`."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created
from pitchey.production import service
from pitchey.production.schemas import ProposeProject


@api(roles={"production"}, idempotent=True)
def handler(request: Request) -> Response:
    return created(service.propose(request.caller(), request.parse(ProposeProject)))
