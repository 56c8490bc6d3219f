"""POST /api/pitches (alias POST /api/pitches/create): a creator starts a pitch, as a draft."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created
from pitchey.pitches import service
from pitchey.pitches.schemas import CreatePitch


@api(roles={"creator"}, idempotent=True)
def handler(request: Request) -> Response:
    return created(service.create_pitch(request.user.id, request.parse(CreatePitch)))
