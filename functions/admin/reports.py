"""GET /api/admin/reports?status=open|resolved (admin only; default open, oldest first)."""

from pitchey.admin import service
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page


@api(admin=True)
def handler(request: Request) -> Response:
    return ok_page(service.list_reports(request.query_param("status"), request.page()))
