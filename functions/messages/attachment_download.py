"""GET /api/messages/{id}/attachments/{attachmentId} → {downloadUrl, expiresAt} (participants only)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.messages import service


@api()
def handler(request: Request) -> Response:
    message_id, attachment_id = request.path_param("id"), request.path_param("attachmentId")
    return ok(service.attachment_download(request.user.id, message_id, attachment_id))
