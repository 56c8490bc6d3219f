"""POST /api/payments/process {investmentId, paymentMethodId} (the investor of a committed investment) → 201
pending (or failed) payment; its success webhook moves the investment committed → active."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created
from pitchey.investments import service as investments
from pitchey.payments import billing
from pitchey.payments.schemas import ProcessInvestment


@api(idempotent=True, verified=True)
def handler(request: Request) -> Response:
    body = request.parse(ProcessInvestment)
    return created(billing.process(request.require_user().id, body, investments.payable))
