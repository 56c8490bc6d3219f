"""GET /api/users/me/blocks: who the caller blocked, newest first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page
from pitchey.messages import blocks


@api()
def handler(request: Request) -> Response:
    return ok_page(blocks.blocks_of(request.user.id, request.page()), blocks.block_to_api)
