"""POST /api/auth/{portal}/login (public): email + password -> user and a new session's tokens."""

from pitchey.auth import service
from pitchey.auth.schemas import LoginBody
from pitchey.core.http import Request, Response, api, ok


@api(auth="none")
def handler(request: Request) -> Response:
    portal = service.require_portal(request.path_param("portal"))
    client = request.client()
    service.rate_limit(client)
    return ok(service.login(portal, request.parse(LoginBody), client))
