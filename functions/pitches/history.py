"""GET /api/pitches/{id}/history (owner): every change, newest first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok, page_metadata
from pitchey.pitches import service


@api()
def handler(request: Request) -> Response:
    page = request.page()
    result = service.history(request.user.id, request.path_param("id"), page.limit, page.cursor)
    data = [service.history_to_api(entry) for entry in result.items]
    return ok(data, page_metadata(page.limit, result.next_cursor, page=result.number))
