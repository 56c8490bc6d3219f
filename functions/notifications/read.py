"""POST /api/notifications/{id}/read : mark one of the caller's notifications read (idempotent)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.notifications import inbox


@api()
def handler(request: Request) -> Response:
    request.json()  # an empty body or {} (a malformed one is a 400)
    return ok(inbox.mark_read(request.user.id, request.path_param("id")))
