"""DELETE /api/users/{id}/block (idempotent)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.messages import blocks


@api()
def handler(request: Request) -> Response:
    return ok(blocks.unblock(request.user.id, request.path_param("id")))
