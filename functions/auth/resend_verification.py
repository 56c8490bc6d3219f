"""POST /api/auth/resend-verification: mail a new verification link (at most one per 60 s, else 429)."""

from pitchey.auth import verification
from pitchey.auth.http import api, link_base
from pitchey.auth.schemas import EmptyBody
from pitchey.core.http import Request, Response, ok


@api()
def handler(request: Request) -> Response:
    request.parse(EmptyBody)
    user = request.require_user()
    return ok(verification.resend_verification(user.id, link_base(request), request.client()))
