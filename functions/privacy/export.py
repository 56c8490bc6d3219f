"""POST /api/users/me/export → 202 {exportId}; GET /api/users/me/export/{exportId} (own exports only)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, accepted, ok
from pitchey.privacy import service


@api()
def handler(request: Request) -> Response:
    if request.method == "POST":
        from pitchey.privacy.schemas import NoBody  # pydantic: the GET route never pays for it

        request.parse(NoBody)
        return accepted(service.request_export(request.caller()))
    return ok(service.export_status(request.caller(), request.path_param("exportId")))
