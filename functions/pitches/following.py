"""GET /api/pitches/following: newest published pitches by followed creators and followed pitches."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok, page_metadata
from pitchey.pitches import service


@api()
def handler(request: Request) -> Response:
    page = request.page()
    result = service.following_feed(request.user.id, page.limit, page.cursor)
    data = [service.render(pitch, request.user.id) for pitch in result.items]
    return ok(data, page_metadata(page.limit, result.next_cursor, page=result.number))
