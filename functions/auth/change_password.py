"""POST /api/auth/change-password `{currentPassword, newPassword}`: every other session ends; wrong → 401."""

from pitchey.auth import recovery
from pitchey.auth.http import api
from pitchey.auth.schemas import ChangePasswordBody
from pitchey.core.http import Request, Response, ok


@api()
def handler(request: Request) -> Response:
    body = request.parse(ChangePasswordBody)
    return ok(recovery.change_password(request.require_user(), body, request.client()))
