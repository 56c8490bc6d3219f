"""GET /api/users/me/blocks: who the caller blocked, newest first."""

from pitchey.core.http import Request, Response, api, ok, page_metadata
from pitchey.messages import blocks


@api()
def handler(request: Request) -> Response:
    page = request.page()
    result = blocks.blocks_of(request.user.id, page.limit, page.cursor)
    data = [blocks.block_to_api(item) for item in result.items]
    return ok(data, page_metadata(page.limit, result.next_cursor, page=result.number))
