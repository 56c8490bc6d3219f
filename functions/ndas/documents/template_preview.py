"""GET /api/ndas/templates/{id}/preview (creator: a standard template or the caller's own) →
`{downloadUrl, expiresAt}` of a PDF of the template with placeholder parties (URL valid 15 min)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.ndas import previews


@api(roles={"creator"})
def handler(request: Request) -> Response:
    return ok(previews.preview(request.caller(), request.path_param("id")))
