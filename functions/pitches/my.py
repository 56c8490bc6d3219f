"""GET /api/pitches/my (creator): all of the caller's pitches, drafts and archived included, newest first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok, page_metadata
from pitchey.pitches import service


@api(roles={"creator"})
def handler(request: Request) -> Response:
    page = request.page()
    result = service.my_pitches(request.user.id, page.limit, page.cursor)
    data = [service.to_api(pitch, viewer_id=request.user.id, protected=True) for pitch in result.items]
    return ok(data, page_metadata(page.limit, result.next_cursor, page=result.number))
