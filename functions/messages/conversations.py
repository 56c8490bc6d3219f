"""GET /api/messages/conversations: the caller's conversations, latest activity first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page
from pitchey.messages import service


@api()
def handler(request: Request) -> Response:
    return ok_page(service.list_conversations(request.user.id, request.page()))
