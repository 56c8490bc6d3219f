"""DELETE /api/messages/{id}: the sender; the message stays with body null and deletedAt."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.messages import service


@api()
def handler(request: Request) -> Response:
    return ok(service.delete(request.user.id, request.path_param("id")))
