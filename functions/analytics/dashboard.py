"""GET /api/analytics/dashboard?period=7d|30d (creator): totals over the caller's own pitches."""

from pitchey.analytics import dashboards
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok


@api(roles={"creator"})
def handler(request: Request) -> Response:
    period = request.choice_param("period", dashboards.PERIOD_DAYS, "30d")
    return ok(dashboards.dashboard(request.user.id, period))
