"""POST /api/ndas/{id}/remind (the requester, pending only) → 200 `nda`; notifies the creator again, at most
once per 24 h per NDA (429 RATE_LIMITED with Retry-After otherwise) (#21)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.ndas import reminders
from pitchey.ndas.schemas import NoBody


@api()
def handler(request: Request) -> Response:
    request.parse(NoBody)
    return ok(reminders.remind(request.caller(), request.path_param("id")))
