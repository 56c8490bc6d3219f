"""GET /api/pitches/following: newest published pitches by followed creators and followed pitches."""

from pitchey.core.http import Request, Response, api, ok_page
from pitchey.pitches import service


@api()
def handler(request: Request) -> Response:
    result = service.following_feed(request.user.id, request.page())
    return ok_page(result, lambda pitch: service.render(pitch, request.user.id))
