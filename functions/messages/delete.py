"""DELETE /api/messages/{id}: the sender; the message stays with body null and deletedAt."""

from pitchey.core.http import Request, Response, api, ok
from pitchey.messages import service


@api()
def handler(request: Request) -> Response:
    return ok(service.delete(request.user.id, request.path_param("id")))
