"""POST /api/messages/attachments {fileName, contentType, sizeBytes} → 201 presigned POST (≤ 50 MB)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created
from pitchey.messages import attachments
from pitchey.messages.schemas import CreateAttachment


@api(idempotent=True)
def handler(request: Request) -> Response:
    return created(attachments.start_upload(request.user.id, request.parse(CreateAttachment)))
