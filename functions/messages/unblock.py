"""DELETE /api/users/{id}/block (idempotent)."""

from pitchey.core.http import Request, Response, api, ok
from pitchey.messages import blocks


@api()
def handler(request: Request) -> Response:
    return ok(blocks.unblock(request.user.id, request.path_param("id")))
