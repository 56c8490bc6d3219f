"""POST /api/messages/send {recipientId | conversationId, body, pitchId?, attachmentIds?} → 201 message."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created
from pitchey.messages import service
from pitchey.messages.schemas import SendMessage


@api(idempotent=True, verified=True)
def handler(request: Request) -> Response:
    return created(service.send(request.user, request.parse(SendMessage)))
