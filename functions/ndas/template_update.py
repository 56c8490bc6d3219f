"""PUT /api/ndas/templates/{id} (owner) `{name?, body?, description?}` → `template`; a standard template
→ 403 `TEMPLATE_READ_ONLY`, anyone else's → 404."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.ndas import templates
from pitchey.ndas.template_schemas import UpdateTemplate


@api(roles={"creator"})
def handler(request: Request) -> Response:
    body = request.parse(UpdateTemplate)
    return ok(templates.update(request.caller(), request.path_param("id"), body))
