"""GET /api/pitches/trending (public): published pitches by the analytics trending score, highest first."""

from pitchey.analytics import service as analytics
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok, page_metadata
from pitchey.pitches import service


@api(auth="none")
def handler(request: Request) -> Response:
    limit = request.page().limit
    data = [service.render_anonymous(pitch) for pitch in analytics.trending_pitches(limit)]
    return ok(data, page_metadata(limit, None))
