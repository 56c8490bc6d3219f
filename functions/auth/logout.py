"""POST /api/auth/logout: revoke the caller's session (its access and refresh tokens stop at once)."""

from pitchey.auth import service
from pitchey.auth.schemas import EmptyBody
from pitchey.core.http import Request, Response, api, ok


@api()
def handler(request: Request) -> Response:
    request.parse(EmptyBody)
    return ok(service.logout(request.require_user(), request.client()))
