"""GET /api/messages/conversations/{id}/messages: newest first (highest seq first), cursor on seq."""

from pitchey.core.http import Request, Response, api, ok, page_metadata
from pitchey.messages import service


@api()
def handler(request: Request) -> Response:
    page = request.page()
    rows, result = service.list_messages(request.user.id, request.path_param("id"), page.limit, page.cursor)
    return ok(rows, page_metadata(page.limit, result.next_cursor, page=result.number))
