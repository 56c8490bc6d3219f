"""POST /api/notifications/read-all : mark every unread notification read → {"count": <marked>}."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.notifications import inbox


@api()
def handler(request: Request) -> Response:
    request.json()  # an empty body or {} (a malformed one is a 400)
    return ok({"count": inbox.mark_all_read(request.user.id)})
