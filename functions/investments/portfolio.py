"""GET /api/investments/portfolio (investor) → `{totalInvestedCents, activeCount, byStatus, investments}`."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.investments import service


@api(roles={"investor"})
def handler(request: Request) -> Response:
    return ok(service.portfolio(request.caller()))
