"""POST /api/admin/broadcast `{title, body}` → 202: a `system` notification to every user (fanned out)."""

from pitchey.admin import service
from pitchey.admin.schemas import BroadcastBody
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, accepted


@api(admin=True, idempotent=True)
def handler(request: Request) -> Response:
    return accepted(service.broadcast(request.caller(), request.parse(BroadcastBody)))
