"""GET /api/investment/recommendations?limit= (investor) → `[{pitch, score, reasons}]`, best first."""

from pitchey.core.http import Request, Response, api, ok
from pitchey.investments import service


@api(roles={"investor"})
def handler(request: Request) -> Response:
    return ok(service.recommendations(request.caller(), request.page().limit))
