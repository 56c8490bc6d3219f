"""POST /api/auth/mfa/verify (public) `{challengeToken, code}`: completes an MFA login → user and tokens."""

from pitchey.auth import service
from pitchey.auth.http import api
from pitchey.auth.schemas import MfaVerifyBody
from pitchey.core.http import Request, Response, ok


@api(auth="none")
def handler(request: Request) -> Response:
    client = request.client()
    service.rate_limit(client)
    body = request.parse(MfaVerifyBody)
    return ok(service.verify_mfa(body.challenge_token, body.code, client))
