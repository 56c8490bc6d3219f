"""POST /api/ndas/{id}/approve `{customTerms?, accessDays?}` (the pitch's creator, pending only) → 200 `nda`
(approved). customTerms (≤ 10 000 characters) go into the document; accessDays (1-3650) limit access to
that many days after signing (#21)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.ndas import service
from pitchey.ndas.schemas import ApproveNda


@api()
def handler(request: Request) -> Response:
    terms = request.parse(ApproveNda)
    return ok(service.approve(request.caller(), request.path_param("id"), terms))
