"""GET /api/investments/history (investor): every transition of the caller's investments, newest first."""

from pitchey.core.http import Request, Response, api, ok, page_metadata
from pitchey.investments import service


@api(roles={"investor"})
def handler(request: Request) -> Response:
    page = request.page()
    rows, result = service.history(service.Caller.of(request), page)
    return ok(rows, page_metadata(page.limit, result.next_cursor, result.number))
