"""POST /api/investments (alias /api/investments/create) `{pitchId, amountCents, currency?, terms?}`
(investor) → 201 `{investment, fundingProgress}` (pending; the workflow starts, the creator is notified)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created
from pitchey.investments import service
from pitchey.investments.schemas import CreateInvestment


@api(roles={"investor"}, idempotent=True, verified=True)
def handler(request: Request) -> Response:
    return created(service.create(request.caller(), request.parse(CreateInvestment)))
