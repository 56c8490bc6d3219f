"""GET /api/ndas/stats (creator) → counts by status, approvalRate, medianDecisionSeconds, completionRate
over the caller's NDAs (#21; see pitchey.ndas.stats)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.ndas import stats


@api(roles={"creator"})
def handler(request: Request) -> Response:
    return ok(stats.creator_stats(request.caller()))
