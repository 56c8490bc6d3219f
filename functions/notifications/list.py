"""GET /api/notifications?unreadOnly=true&limit=&cursor= : the caller's notifications, newest first."""

from pitchey.core.http import Request, Response, api, ok_page
from pitchey.notifications import inbox


@api()
def handler(request: Request) -> Response:
    unread_only = bool(request.bool_param("unreadOnly"))
    return ok_page(inbox.list_for_user(request.user.id, unread_only=unread_only, page=request.page()))
