"""GET /api/ndas/templates/{id} (creator: a standard template or the caller's own; others 404)
→ `template`."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.ndas import templates


@api(roles={"creator"})
def handler(request: Request) -> Response:
    return ok(templates.get(request.caller(), request.path_param("id")))
