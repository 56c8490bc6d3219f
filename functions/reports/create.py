"""POST /api/reports `{targetType: pitch|user|message, targetId, reason}` (any user) → 201."""

from pitchey.admin import service
from pitchey.admin.schemas import ReportBody
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created


@api(idempotent=True)
def handler(request: Request) -> Response:
    return created(service.create_report(request.caller(), request.parse(ReportBody)))
