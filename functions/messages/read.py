"""POST /api/messages/conversations/{id}/read {upToMessageId?} → {count} newly read; others get a receipt."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.messages import service
from pitchey.messages.schemas import MarkRead


@api()
def handler(request: Request) -> Response:
    return ok(service.mark_read(request.user.id, request.path_param("id"), request.parse(MarkRead)))
