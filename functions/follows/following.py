"""GET /api/follows/following: what the caller follows, newest first."""

from pitchey.core.http import Request, Response, api, ok_page
from pitchey.follows import service


@api()
def handler(request: Request) -> Response:
    return ok_page(service.following(request.user.id, request.page()), service.follow_to_api)
