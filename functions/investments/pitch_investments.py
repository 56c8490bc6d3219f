"""GET /api/pitches/{id}/investments?status= (the pitch's owner): its investments, newest first."""

from pitchey.core.http import Request, Response, api, ok, page_metadata
from pitchey.investments import service
from pitchey.investments.lifecycle import STATUSES


@api()
def handler(request: Request) -> Response:
    status = request.choice_param("status", STATUSES)
    page = request.page()
    caller = service.Caller.of(request)
    rows, result = service.pitch_investments(caller, request.path_param("id"), status, page)
    return ok(rows, page_metadata(page.limit, result.next_cursor, result.number))
