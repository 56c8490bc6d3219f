"""DELETE /api/ndas/templates/{id} (owner) → `{id, deleted: true}`; 409 `TEMPLATE_IN_USE` while a pitch
names it as its default; a standard template → 403 `TEMPLATE_READ_ONLY`, anyone else's → 404."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.ndas import templates


@api(roles={"creator"})
def handler(request: Request) -> Response:
    return ok(templates.delete(request.caller(), request.path_param("id")))
