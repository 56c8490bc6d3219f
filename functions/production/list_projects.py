"""GET /api/production/projects?status=&stage= (a company: its projects; a creator: those on its pitches)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok_page
from pitchey.production import service
from pitchey.production.models import STAGES, STATUSES


@api(roles={"production", "creator"})
def handler(request: Request) -> Response:
    status = request.choice_param("status", STATUSES)
    stage = request.choice_param("stage", STAGES)
    return ok_page(service.list_projects(request.caller(), status, stage, request.page()))
