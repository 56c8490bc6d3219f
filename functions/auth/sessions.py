"""GET /api/auth/sessions: the caller's live sessions (devices), newest first, `current` marked."""

from pitchey.auth import service
from pitchey.core.http import Request, Response, api, ok_page


@api()
def handler(request: Request) -> Response:
    return ok_page(service.list_sessions(request.require_user(), request.page()))
