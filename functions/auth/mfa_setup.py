"""POST /api/auth/mfa/setup: a new TOTP secret and its otpauth URI (pending until mfa/enable)."""

from pitchey.auth import mfa
from pitchey.auth.http import api
from pitchey.auth.schemas import EmptyBody
from pitchey.core.http import Request, Response, ok


@api()
def handler(request: Request) -> Response:
    request.parse(EmptyBody)
    return ok(mfa.setup(request.require_user(), request.client()))
