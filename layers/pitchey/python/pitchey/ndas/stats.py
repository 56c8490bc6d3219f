"""`GET /api/ndas/stats` (#21, creator): the caller's NDAs counted by status, and three rates, from one
paged Query on the `byCreator` index (no Scan).

- approvalRate = approved / decided, over requests the creator decided (approved or rejected; an approval
  counts whatever happened after it: signed, expired unsigned, revoked);
- medianDecisionSeconds = median of decidedAt - requestedAt over those decisions;
- completionRate = signed / approved (approvals that were signed, whatever happened after).
A rate or median without anything to measure is null.
"""

from __future__ import annotations

from statistics import median
from typing import Any

from pitchey.core import clock
from pitchey.core.caller import Caller
from pitchey.ndas.models import REJECTED, STATUSES, Nda

FIELDS = ("id", "status", "requestedAt", "decidedAt", "signedAt")


def creator_stats(caller: Caller) -> dict[str, Any]:
    counts = dict.fromkeys(STATUSES, 0)
    decision_seconds: list[float] = []
    approved = signed = 0
    for nda in Nda.by_creator.query(caller.id, attributes_to_get=list(FIELDS)):
        counts[nda.status] = counts.get(nda.status, 0) + 1
        if nda.decided_at:  # only a creator's decision sets it (an undecided request expires without)
            seconds = (clock.from_iso(nda.decided_at) - clock.from_iso(nda.requested_at)).total_seconds()
            decision_seconds.append(seconds)
            if nda.status != REJECTED:
                approved += 1
        if nda.signed_at:
            signed += 1
    decided = len(decision_seconds)
    return {
        "total": sum(counts.values()),
        **counts,
        "approvalRate": _ratio(approved, decided),
        "medianDecisionSeconds": round(median(decision_seconds)) if decision_seconds else None,
        "completionRate": _ratio(signed, approved),
    }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
