"""GET /api/investment/recommendations?limit= (investor) → `[{pitch, score, reasons}]`, best first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.investments import service


@api(roles={"investor"})
def handler(request: Request) -> Response:
    return ok(service.recommendations(request.caller(), request.page().limit))
