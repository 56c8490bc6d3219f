"""POST /api/admin/users/{id}/suspend|ban|restore|grant-admin `{reason?}` (admin only)."""

from pitchey.admin import service
from pitchey.admin.schemas import ModerationBody
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok


@api(admin=True)
def handler(request: Request) -> Response:
    action = request.path_param("action")
    body = request.parse(ModerationBody)
    return ok(service.moderate(request.caller(), request.path_param("id"), action, body))
