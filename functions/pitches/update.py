"""PUT /api/pitches/{id} (alias PUT /api/pitches/{id}/update): the owner changes fields and/or status."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.pitches import service
from pitchey.pitches.schemas import UpdatePitch


@api()
def handler(request: Request) -> Response:
    body = request.parse(UpdatePitch)
    return ok(service.update_pitch(request.user.id, request.path_param("id"), body))
