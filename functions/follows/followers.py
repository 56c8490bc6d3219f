"""GET /api/follows/followers: who follows the caller, newest first."""

from pitchey.core.http import Request, Response, api, ok_page
from pitchey.follows import service


@api()
def handler(request: Request) -> Response:
    return ok_page(service.followers(request.user.id, request.page()))
