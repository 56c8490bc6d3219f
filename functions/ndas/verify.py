"""GET /api/ndas/{id}/verify?sha256=<hex> (public) → `{ndaId, genuine, version}`: whether a document with
that SHA-256 is this NDA's approved or signed PDF, and nothing else (#21; see pitchey.ndas.verification)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.ndas import verification


@api(auth="none")
def handler(request: Request) -> Response:
    found = verification.verify(
        request.path_param("id"), request.query_param("sha256"), request.client().ip_address
    )
    return ok(found)
