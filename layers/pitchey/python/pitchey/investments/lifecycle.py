"""The investment lifecycle as pure data: who may move an investment from which status to which, and what
each move does to the pitch's funding. No I/O (tested on its own against API.md).

    pending → due_diligence → negotiation → committed → active → completed
    creator: pending → due_diligence | rejected, due_diligence → negotiation | rejected,
             negotiation → committed, committed → defaulted, active → completed | defaulted
    investor: pending | due_diligence | negotiation → withdrawn, committed → active (funds sent)
    system: pending | due_diligence | negotiation → expired (the stage's wait timed out)

An event is named after the status it moves to (`POST /api/investments/{id}/transition {to}`), except
the system's timeout event `expire`.
"""

from __future__ import annotations

from pitchey.core.workflow import SYSTEM, Transitions

PENDING, DUE_DILIGENCE, NEGOTIATION = "pending", "due_diligence", "negotiation"
COMMITTED, ACTIVE, COMPLETED = "committed", "active", "completed"
REJECTED, WITHDRAWN, DEFAULTED, EXPIRED = "rejected", "withdrawn", "defaulted", "expired"
# The way to completed, in order; the other statuses end an investment early.
FORWARD = (PENDING, DUE_DILIGENCE, NEGOTIATION, COMMITTED, ACTIVE, COMPLETED)
STATUSES = (*FORWARD, REJECTED, WITHDRAWN, DEFAULTED, EXPIRED)
CREATOR, INVESTOR = "creator", "investor"

# "Pledged" stages wait at most InvestmentStageTtlSeconds; committed and active wait on people without one.
PLEDGED = frozenset({PENDING, DUE_DILIGENCE, NEGOTIATION})
RAISED = frozenset({COMMITTED, ACTIVE, COMPLETED})
TERMINAL = frozenset({COMPLETED, REJECTED, WITHDRAWN, DEFAULTED, EXPIRED})
WAITING = (PENDING, DUE_DILIGENCE, NEGOTIATION, COMMITTED, ACTIVE)
TIMED = PLEDGED

_MOVES = {
    CREATOR: [
        (PENDING, DUE_DILIGENCE),
        (PENDING, REJECTED),
        (DUE_DILIGENCE, NEGOTIATION),
        (DUE_DILIGENCE, REJECTED),
        (NEGOTIATION, COMMITTED),
        (COMMITTED, DEFAULTED),
        (ACTIVE, COMPLETED),
        (ACTIVE, DEFAULTED),
    ],
    INVESTOR: [
        (PENDING, WITHDRAWN),
        (DUE_DILIGENCE, WITHDRAWN),
        (NEGOTIATION, WITHDRAWN),
        (COMMITTED, ACTIVE),
    ],
}

TABLE = Transitions(
    [(source, actor, target, target) for actor, moves in _MOVES.items() for source, target in moves]
    + [(stage, SYSTEM, "expire", EXPIRED) for stage in sorted(TIMED)],
    initial=PENDING,
    terminal=TERMINAL,
    subject="an investment",
)


def funding_delta(source: str, target: str, amount: int) -> tuple[int, int]:
    """(raised, pledged) change on the pitch when an investment of `amount` cents moves source → target."""

    def counted(status: str) -> tuple[int, int]:
        return (amount if status in RAISED else 0, amount if status in PLEDGED else 0)

    before, after = counted(source), counted(target)
    return after[0] - before[0], after[1] - before[1]
