"""GET /api/payments/plans (public): tiers, credit packs and what actions cost, in EUR cents. The same for
everyone and changed only by a deploy: shared caches may keep it 5 minutes."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.payments.plans import catalogue


@api(auth="none")
def handler(request: Request) -> Response:
    return ok(catalogue(), public_max_age=300)
