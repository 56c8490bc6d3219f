"""POST /api/analytics/track (optional auth): one event or {"events": [...]} (≤ 25) → 202."""

from pitchey.analytics import tracking
from pitchey.analytics.schemas import TrackBatch, TrackEvent
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, accepted

# For docs/openapi.json: tracking.parse_events validates the body as one of these (it reports per event).
REQUEST_BODY = (TrackEvent, TrackBatch)


@api(auth="optional")
def handler(request: Request) -> Response:
    user_id = request.user.id if request.user else None
    return accepted(tracking.track(request.json(), user_id, request.source_ip))
