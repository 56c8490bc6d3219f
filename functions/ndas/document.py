"""GET /api/ndas/{id}/document (either party, approved or signed) → `{downloadUrl, expiresAt}` (≤ 15 min)."""

from pitchey.core.http import Request, Response, api, ok
from pitchey.ndas import service


@api()
def handler(request: Request) -> Response:
    return ok(service.document(request.caller(), request.path_param("id")))
