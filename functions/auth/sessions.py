"""GET /api/auth/sessions: the caller's live sessions (devices), newest first, `current` marked."""

from pitchey.auth import service
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok, page_metadata


@api()
def handler(request: Request) -> Response:
    page = request.page()
    items, next_cursor = service.list_sessions(request.require_user(), page)
    return ok(items, page_metadata(page.limit, next_cursor))
