"""$default route: any path the API does not declare answers the 404 envelope."""

from pitchey.auth.http import api
from pitchey.core.errors import NotFound
from pitchey.core.http import Request, Response


@api(auth="none")
def handler(request: Request) -> Response:
    raise NotFound(f"No route for {request.method} {request.path}")
