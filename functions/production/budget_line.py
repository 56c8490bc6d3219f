"""POST /api/production/projects/{id}/budget-lines (the company) `{category, plannedCents}` → 201"""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created
from pitchey.production import service
from pitchey.production.schemas import BudgetLine


@api(roles={"production"})
def handler(request: Request) -> Response:
    body = request.parse(BudgetLine)
    return created(service.set_budget_line(request.caller(), request.path_param("id"), body))
