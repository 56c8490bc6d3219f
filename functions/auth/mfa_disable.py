"""POST /api/auth/mfa/disable `{password, code}`: turns MFA off (a TOTP or backup code)."""

from pitchey.auth import mfa
from pitchey.auth.http import api
from pitchey.auth.schemas import MfaDisableBody
from pitchey.core.http import Request, Response, ok


@api()
def handler(request: Request) -> Response:
    body = request.parse(MfaDisableBody)
    return ok(mfa.disable(request.require_user(), body.password, body.code, request.client()))
