"""GET /api/analytics/production (production): NDAs, projects by status and stage, budget, feed activity."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.production import service


@api(roles={"production"})
def handler(request: Request) -> Response:
    return ok(service.company_analytics(request.caller()))
