"""GET /api/pitches/following: newest published pitches by followed creators and followed pitches."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page
from pitchey.pitches import service


@api()
def handler(request: Request) -> Response:
    result = service.following_feed(request.user.id, request.page())
    return ok_page(service.render_page(result, request.user.id))
