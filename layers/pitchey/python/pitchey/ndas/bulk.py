"""Bulk decisions (#21): `POST /api/ndas/bulk-approve` and `bulk-reject` take each id through the single
endpoint's service function (service.approve / service.reject), so every decision is the same conditional
write and workflow resume as one made alone, and a failure of one never aborts the others.

The answer has one entry per input position, in input order: `{id, status, nda}` or `{id, error: {code,
message}}` with the code the single endpoint would answer (NOT_FOUND for an NDA that is not the caller's
to decide, INVALID_TRANSITION for one already decided); a repeated id is `DUPLICATE_ID` (decided once).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pitchey.core.caller import Caller
from pitchey.core.errors import AppError
from pitchey.core.log import logger
from pitchey.ndas import service
from pitchey.ndas.schemas import BulkApprove, BulkReject, RejectNda

# Decisions run a few at a time: each is a read, a conditional write and a SendTaskSuccess (I/O bound), and
# 100 in a row would not fit the HTTP API's 30 s.
WORKERS = 8


def bulk_approve(caller: Caller, body: BulkApprove) -> dict[str, Any]:
    # BulkApprove is an ApproveNda: its customTerms/accessDays apply to every id.
    return _decide_each(body.ids, lambda nda_id: service.approve(caller, nda_id, body))


def bulk_reject(caller: Caller, body: BulkReject) -> dict[str, Any]:
    reason = RejectNda.model_construct(reason=body.reason)
    return _decide_each(body.ids, lambda nda_id: service.reject(caller, nda_id, reason))


def _decide_each(ids: list[str], decide: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    first = list(dict.fromkeys(ids))  # each distinct id once, in the order first given

    def one(nda_id: str) -> dict[str, Any]:
        try:
            nda = decide(nda_id)
        except AppError as error:
            return {"id": nda_id, "error": {"code": error.code, "message": error.message}}
        except Exception:  # not this id's fault (e.g. throttling): say so for it, keep deciding the rest
            logger.exception("bulk decision failed", extra={"ndaId": nda_id})
            return {
                "id": nda_id,
                "error": {"code": "INTERNAL_ERROR", "message": "Not decided, retry this id"},
            }
        return {"id": nda_id, "status": nda["status"], "nda": nda}

    with ThreadPoolExecutor(max_workers=min(WORKERS, len(first))) as pool:
        decided = dict(zip(first, pool.map(one, first), strict=True))
    results, seen = [], set()
    for nda_id in ids:
        if nda_id in seen:
            message = "This id appears earlier in the list; it was decided there"
            results.append({"id": nda_id, "error": {"code": "DUPLICATE_ID", "message": message}})
        else:
            seen.add(nda_id)
            results.append(decided[nda_id])
    return {"results": results}
