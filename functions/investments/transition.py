"""POST /api/investments/{id}/transition `{to, note?}` (a party, along the edges API.md gives it)
→ 200 `{investment, fundingProgress}`; any other move 409 INVALID_TRANSITION, non-parties 404."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.investments import service
from pitchey.investments.schemas import TransitionInvestment


@api()
def handler(request: Request) -> Response:
    body = request.parse(TransitionInvestment)
    return ok(service.transition(request.caller(), request.path_param("id"), body))
