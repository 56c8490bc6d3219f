"""GET /api/pitches/browse and its alias GET /api/pitches/public (public): published pitches only.

Filters: genre, format, seekingInvestment, q (case-insensitive substring of title or logline);
sort=newest|popular|featured. A filter value outside its vocabulary is a 400."""

from pitchey.auth.http import api
from pitchey.core.errors import BadRequest
from pitchey.core.http import Request, Response, ok_page
from pitchey.pitches import rules, service

MAX_QUERY_LENGTH = 100


def filters_of(request: Request) -> service.BrowseFilters:
    q = (request.query_param("q") or "").strip().lower()
    if len(q) > MAX_QUERY_LENGTH:
        raise BadRequest(f"q must be at most {MAX_QUERY_LENGTH} characters")
    return service.BrowseFilters(
        genre=request.choice_param("genre", rules.GENRES),
        format=request.choice_param("format", rules.FORMATS),
        seeking_investment=request.bool_param("seekingInvestment"),
        q=q or None,
        sort=request.choice_param("sort", ("newest", "popular", "featured"), default="newest"),
    )


@api(auth="none")
def handler(request: Request) -> Response:
    return ok_page(service.browse(filters_of(request), request.page()), service.render_anonymous)
