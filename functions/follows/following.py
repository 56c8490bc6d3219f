"""GET /api/follows/following: what the caller follows, newest first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok, page_metadata
from pitchey.follows import service


@api()
def handler(request: Request) -> Response:
    page = request.page()
    result = service.following(request.user.id, page.limit, page.cursor)
    data = [service.follow_to_api(follow) for follow in result.items]
    return ok(data, page_metadata(page.limit, result.next_cursor, page=result.number))
