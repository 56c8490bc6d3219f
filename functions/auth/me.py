"""GET /api/auth/me: the caller's own `user`."""

from pitchey.core.http import Request, Response, api, ok
from pitchey.users import service


@api()
def handler(request: Request) -> Response:
    return ok(service.own_profile(request.require_user().id))
