"""POST /api/auth/verify-email (public) `{token}`: the mailed token → the user, now `emailVerified: true`."""

from pitchey.auth import verification
from pitchey.auth.http import api
from pitchey.auth.schemas import TokenBody
from pitchey.core.http import Request, Response, ok


@api(auth="none")
def handler(request: Request) -> Response:
    body = request.parse(TokenBody)
    return ok(verification.verify_email(body.token, request.client()))
