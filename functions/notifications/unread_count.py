"""GET /api/notifications/unread-count → {"count": n}."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.notifications import inbox


@api()
def handler(request: Request) -> Response:
    return ok({"count": inbox.unread_count(request.user.id)})
