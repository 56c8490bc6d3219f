"""GET /api/production/following (production): activity of followed creators and pitches, newest first."""

from pitchey.activity import service
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page


@api(roles={"production"})
def handler(request: Request) -> Response:
    return ok_page(service.feed(request.caller(), request.page()))
