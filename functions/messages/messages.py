"""GET /api/messages/conversations/{id}/messages: newest first (highest seq first), cursor on seq."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page
from pitchey.messages import service


@api()
def handler(request: Request) -> Response:
    return ok_page(service.list_messages(request.user.id, request.path_param("id"), request.page()))
