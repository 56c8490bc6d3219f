"""GET /api/admin/users?q=&status=: every user, newest first (admin only)."""

from pitchey.admin import service
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page


@api(admin=True)
def handler(request: Request) -> Response:
    q, status = request.query_param("q"), request.query_param("status")
    return ok_page(service.list_users(q, status, request.page()))
