"""POST /api/auth/mfa/enable `{code}`: turns MFA on → `{backupCodes}` (10, shown once, stored hashed)."""

from pitchey.auth import mfa
from pitchey.auth.http import api
from pitchey.auth.schemas import MfaCodeBody
from pitchey.core.http import Request, Response, ok


@api()
def handler(request: Request) -> Response:
    body = request.parse(MfaCodeBody)
    return ok(mfa.enable(request.require_user(), body.code, request.client()))
