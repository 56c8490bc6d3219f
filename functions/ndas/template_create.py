"""POST /api/ndas/templates (creator) `{name, body, description?}` → 201 `template`."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created
from pitchey.ndas import templates
from pitchey.ndas.template_schemas import CreateTemplate


@api(roles={"creator"}, idempotent=True)
def handler(request: Request) -> Response:
    return created(templates.create(request.caller(), request.parse(CreateTemplate)))
