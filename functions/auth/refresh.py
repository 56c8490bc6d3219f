"""POST /api/auth/refresh (public): rotate a refresh token; a rotated-out one revokes its session."""

from pitchey.auth import service
from pitchey.auth.schemas import RefreshBody
from pitchey.core.http import Request, Response, api, ok


@api(auth="none")
def handler(request: Request) -> Response:
    client = request.client()
    service.rate_limit(client)
    return ok(service.refresh(request.parse(RefreshBody).refresh_token, client))
