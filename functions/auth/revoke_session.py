"""DELETE /api/auth/sessions/{id}: revoke one of the caller's sessions (anyone else's is a 404)."""

from pitchey.auth import service
from pitchey.core.http import Request, Response, api, ok


@api()
def handler(request: Request) -> Response:
    user = request.require_user()
    return ok(service.revoke_session(user, request.path_param("id"), request.client()))
