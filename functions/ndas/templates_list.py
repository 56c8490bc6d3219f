"""GET /api/ndas/templates (creator) → the three standard NDA templates (first page) and the caller's own,
newest first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page
from pitchey.ndas import templates


@api(roles={"creator"})
def handler(request: Request) -> Response:
    return ok_page(templates.list_templates(request.caller(), request.page()))
