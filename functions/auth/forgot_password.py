"""POST /api/auth/forgot-password (public) `{email}`: always the same 200; a known email gets a reset link."""

from pitchey.auth import recovery, service
from pitchey.auth.http import api, link_base
from pitchey.auth.schemas import ForgotPasswordBody
from pitchey.core.http import Request, Response, ok


@api(auth="none")
def handler(request: Request) -> Response:
    client = request.client()
    service.rate_limit(client)
    body = request.parse(ForgotPasswordBody)
    return ok(recovery.forgot_password(body.email, link_base(request), client))
