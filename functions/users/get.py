"""GET /api/users/{id}: a user's public profile (no email). `me` is the caller's own full `user`."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.users import service


@api()
def handler(request: Request) -> Response:
    user_id = request.path_param("id")
    if user_id == "me":
        return ok(service.own_profile(request.require_user().id))
    return ok(service.public_profile(user_id))
