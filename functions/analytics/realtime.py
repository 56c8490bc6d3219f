"""GET /api/analytics/realtime (creator): views of the caller's pitches in the last run's 5-minute window."""

from pitchey.analytics import dashboards
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok


@api(roles={"creator"})
def handler(request: Request) -> Response:
    return ok(dashboards.realtime(request.user.id))
