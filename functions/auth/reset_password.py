"""POST /api/auth/reset-password (public) `{token, password}`: sets the password; every session ends."""

from pitchey.auth import recovery, service
from pitchey.auth.http import api
from pitchey.auth.schemas import ResetPasswordBody
from pitchey.core.http import Request, Response, ok


@api(auth="none")
def handler(request: Request) -> Response:
    client = request.client()
    service.rate_limit(client)
    return ok(recovery.reset_password(request.parse(ResetPasswordBody), client))
