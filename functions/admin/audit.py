"""GET /api/admin/audit?actor=&action=&target=<type>:<id>&from=&to= (admin only; newest first)."""

from pitchey.admin import service
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page


@api(admin=True)
def handler(request: Request) -> Response:
    filters = service.AuditFilters(
        actor=request.query_param("actor") or None,
        action=request.query_param("action") or None,
        target=request.query_param("target") or None,
        start=request.query_param("from") or None,
        end=request.query_param("to") or None,
    )
    return ok_page(service.query_audit(filters, request.page()))
