"""POST /api/auth/{portal}/register (public): create an account on a portal; the answer signs it in."""

from pitchey.auth import service
from pitchey.auth.http import api, link_base
from pitchey.auth.schemas import RegisterBody
from pitchey.core.http import Request, Response, created


@api(auth="none")
def handler(request: Request) -> Response:
    portal = service.require_portal(request.path_param("portal"))
    client = request.client()
    service.rate_limit(client)
    return created(service.register(portal, request.parse(RegisterBody), client, link_base(request)))
