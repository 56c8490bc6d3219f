"""GET /api/messages/conversations/{id} (participants; others 404)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.messages import service


@api()
def handler(request: Request) -> Response:
    return ok(service.get_conversation(request.user.id, request.path_param("id")))
