"""GET /api/production/investments/overview (production): funding of the pitches behind its live projects."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.production import service


@api(roles={"production"})
def handler(request: Request) -> Response:
    return ok(service.investments_overview(request.caller()))
