"""POST /api/ndas/{id}/sign `{signerName, accept: true}` (the requester, approved only) → 200 `nda`
(signed); records signedAt, IP and user agent."""

from pitchey.core.http import Request, Response, api, ok
from pitchey.ndas import service
from pitchey.ndas.schemas import SignNda


@api()
def handler(request: Request) -> Response:
    body = request.parse(SignNda)
    return ok(service.sign(request.caller(), request.path_param("id"), body))
