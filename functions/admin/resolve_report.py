"""POST /api/admin/reports/{id}/resolve `{action: dismiss|hide|ban, note?}` (admin only)."""

from pitchey.admin import service
from pitchey.admin.schemas import ResolveBody
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok


@api(admin=True)
def handler(request: Request) -> Response:
    body = request.parse(ResolveBody)
    return ok(service.resolve_report(request.caller(), request.path_param("id"), body))
