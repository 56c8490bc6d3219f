"""GET /api/pitches/{id}/investments?status= (the pitch's owner): its investments, newest first."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page
from pitchey.investments import service
from pitchey.investments.lifecycle import STATUSES


@api()
def handler(request: Request) -> Response:
    status = request.choice_param("status", STATUSES)
    page = request.page()
    return ok_page(service.pitch_investments(request.caller(), request.path_param("id"), status, page))
