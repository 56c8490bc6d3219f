"""POST /api/production/projects/{id}/expenses (company) `{category, amountCents, description, incurredOn}`"""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created
from pitchey.production import service
from pitchey.production.schemas import Expense


@api(roles={"production"}, idempotent=True)
def handler(request: Request) -> Response:
    body = request.parse(Expense)
    return created(service.add_expense(request.caller(), request.path_param("id"), body))
