"""POST /api/pitches/{id}/like: like a pitch (idempotent; one like per user)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.pitches import likes


@api()
def handler(request: Request) -> Response:
    request.json()  # an empty body or {} (a malformed one is still a 400)
    return ok(likes.like(request.user.id, request.path_param("id")))
