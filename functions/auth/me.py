"""GET /api/auth/me: the caller's own `user`."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.users import service


@api()
def handler(request: Request) -> Response:
    return ok(service.own_profile(request.require_user().id))
