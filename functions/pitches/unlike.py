"""DELETE /api/pitches/{id}/like: take a like back (idempotent)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.pitches import likes


@api()
def handler(request: Request) -> Response:
    return ok(likes.unlike(request.user.id, request.path_param("id")))
