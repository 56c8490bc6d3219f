"""GET /api/follows/followers: who follows the caller, newest first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok, page_metadata
from pitchey.follows import service


@api()
def handler(request: Request) -> Response:
    page = request.page()
    rows, result = service.followers(request.user.id, page.limit, page.cursor)
    return ok(rows, page_metadata(page.limit, result.next_cursor, page=result.number))
