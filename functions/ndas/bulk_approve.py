"""POST /api/ndas/bulk-approve `{ids: [≤ 100], customTerms?, accessDays?}` → 200 `{results: [...]}`, one per
id in input order: `{id, status, nda}` or `{id, error: {code, message}}` (#21; see pitchey.ndas.bulk)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.ndas import bulk
from pitchey.ndas.schemas import BulkApprove


@api()
def handler(request: Request) -> Response:
    return ok(bulk.bulk_approve(request.caller(), request.parse(BulkApprove)))
