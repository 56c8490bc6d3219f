"""PUT /api/messages/{id} {body}: the sender, within MessageEditWindowSeconds of sending."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.messages import service
from pitchey.messages.schemas import EditMessage


@api()
def handler(request: Request) -> Response:
    return ok(service.edit(request.user.id, request.path_param("id"), request.parse(EditMessage)))
