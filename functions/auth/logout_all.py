"""POST /api/auth/logout-all: revoke every session of the caller, on every device."""

from pitchey.auth import service
from pitchey.auth.schemas import EmptyBody
from pitchey.core.http import Request, Response, api, ok


@api()
def handler(request: Request) -> Response:
    request.parse(EmptyBody)
    return ok(service.logout_all(request.require_user(), request.client()))
