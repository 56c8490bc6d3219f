"""GET /api/investments/history (investor): every transition of the caller's investments, newest first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page
from pitchey.investments import service


@api(roles={"investor"})
def handler(request: Request) -> Response:
    return ok_page(service.history(request.caller(), request.page()))
