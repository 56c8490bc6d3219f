"""POST /api/auth/mfa/backup-codes `{code}`: a new set of backup codes; the old set stops working."""

from pitchey.auth import mfa
from pitchey.auth.http import api
from pitchey.auth.schemas import MfaCodeBody
from pitchey.core.http import Request, Response, ok


@api()
def handler(request: Request) -> Response:
    body = request.parse(MfaCodeBody)
    return ok(mfa.regenerate_backup_codes(request.require_user(), body.code, request.client()))
