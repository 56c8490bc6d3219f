"""DELETE /api/pitches/{id}: the owner archives the pitch (refused while investments are in progress)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.pitches import service


@api()
def handler(request: Request) -> Response:
    return ok(service.archive_pitch(request.user.id, request.path_param("id")))
