"""GET /api/messages/conversations: the caller's conversations, latest activity first."""

from pitchey.core.http import Request, Response, api, ok, page_metadata
from pitchey.messages import service


@api()
def handler(request: Request) -> Response:
    page = request.page()
    rows, result = service.list_conversations(request.user.id, page.limit, page.cursor)
    return ok(rows, page_metadata(page.limit, result.next_cursor, page=result.number))
