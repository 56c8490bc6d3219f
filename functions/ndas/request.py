"""POST /api/ndas/request (investor, production): ask the pitch's creator for an NDA → 201 `nda` (pending)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created
from pitchey.ndas import service
from pitchey.ndas.schemas import RequestNda


@api(roles={"investor", "production"}, idempotent=True, verified=True)
def handler(request: Request) -> Response:
    return created(service.request_nda(request.caller(), request.parse(RequestNda)))
