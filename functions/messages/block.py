"""POST /api/users/{id}/block: 201 when new, 200 when already blocked."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created, ok
from pitchey.messages import blocks


@api()
def handler(request: Request) -> Response:
    block, is_new = blocks.block(request.user.id, request.path_param("id"))
    return created(block) if is_new else ok(block)
