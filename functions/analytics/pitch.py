"""GET /api/analytics/pitch/{id}?period=7d|30d (owner; anyone else 404): one pitch's figures and funnel."""

from pitchey.analytics import dashboards
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok


@api()
def handler(request: Request) -> Response:
    period = request.choice_param("period", dashboards.PERIOD_DAYS, "30d")
    return ok(dashboards.pitch_analytics(request.user.id, request.path_param("id"), period))
