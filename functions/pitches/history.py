"""GET /api/pitches/{id}/history (owner): every change, newest first."""

from pitchey.core.http import Request, Response, api, ok_page
from pitchey.pitches import service


@api()
def handler(request: Request) -> Response:
    result = service.history(request.user.id, request.path_param("id"), request.page())
    return ok_page(result, service.history_to_api)
