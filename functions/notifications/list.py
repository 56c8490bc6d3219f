"""GET /api/notifications?unreadOnly=true&limit=&cursor= : the caller's notifications, newest first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok, page_metadata
from pitchey.notifications import inbox


@api()
def handler(request: Request) -> Response:
    page = request.page()
    items, next_cursor = inbox.list_for_user(
        request.user.id,
        unread_only=bool(request.bool_param("unreadOnly")),
        limit=page.limit,
        cursor=page.cursor,
    )
    return ok(items, page_metadata(page.limit, next_cursor))
