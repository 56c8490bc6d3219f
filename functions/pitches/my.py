"""GET /api/pitches/my (creator): all of the caller's pitches, drafts and archived included, newest first."""

from pitchey.core.http import Request, Response, api, ok_page
from pitchey.pitches import service


@api(roles={"creator"})
def handler(request: Request) -> Response:
    result = service.my_pitches(request.user.id, request.page())
    return ok_page(result, lambda pitch: service.to_api(pitch, viewer_id=request.user.id, protected=True))
