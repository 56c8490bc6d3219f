"""GET /api/pitches/trending (public): the pitches drawing the most attention right now."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok, page_metadata
from pitchey.pitches import service
from pitchey.pitches.trending import trending_pitches


@api(auth="none")
def handler(request: Request) -> Response:
    limit = request.page().limit
    data = [service.render_anonymous(pitch) for pitch in trending_pitches(limit)]
    return ok(data, page_metadata(limit, None))
