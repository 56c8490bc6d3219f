"""The project's rules as pure tables: its status (a core.workflow Transitions table) and its stage.

A proposal waits on the creator with no deadline (API.md gives none), so unlike NDAs it needs no Step
Functions execution: each move is one conditional transaction in service.py (docs/decisions.md).
"""

from __future__ import annotations

from pitchey.core.workflow import InvalidTransition, Transitions
from pitchey.production.models import (
    ACTIVE,
    CANCELLED,
    COMPLETED,
    DECLINED,
    PAUSED,
    PROPOSED,
    STAGES,
)

CREATOR, COMPANY = "creator", "company"

TRANSITIONS = Transitions(
    [
        (PROPOSED, CREATOR, "accept", ACTIVE),
        (PROPOSED, CREATOR, "decline", DECLINED),
        (PROPOSED, COMPANY, "cancel", CANCELLED),  # the company withdraws its proposal
        (ACTIVE, COMPANY, "pause", PAUSED),
        (PAUSED, COMPANY, "resume", ACTIVE),
        (ACTIVE, COMPANY, "complete", COMPLETED),
        (PAUSED, COMPANY, "complete", COMPLETED),
        (ACTIVE, COMPANY, "cancel", CANCELLED),
        (PAUSED, COMPANY, "cancel", CANCELLED),
    ],
    initial=PROPOSED,
    terminal={DECLINED, COMPLETED, CANCELLED},
    subject="a project",
)

# `PUT {status}` names the target; the company's event that leads there.
STATUS_EVENTS = {PAUSED: "pause", ACTIVE: "resume", COMPLETED: "complete", CANCELLED: "cancel"}

# While a project is in one of these it holds the one-live-project claim of its company and pitch
# (paused too: it can resume, and two active projects of one company on one pitch must not exist).
LIVE = frozenset({PROPOSED, ACTIVE, PAUSED})
# While in one of these the pitch shows inProduction: true.
IN_PRODUCTION = frozenset({ACTIVE, PAUSED})


def status_after(status: str, actor: str, target: str) -> str:
    """The status a company's `PUT {status: target}` leads to, or 409 INVALID_TRANSITION."""
    event = STATUS_EVENTS.get(target)
    if event is None:
        raise InvalidTransition(f"Cannot move a project to {target}")
    return TRANSITIONS.next(status, actor, event)


def stage_after(status: str, stage: str, target: str) -> str:
    """Stages move forward only (skipping allowed) and only while the project is active."""
    if target == stage:
        return stage
    if status != ACTIVE:
        raise InvalidTransition(f"The stage of a project that is {status} cannot change")
    if STAGES.index(target) < STAGES.index(stage):
        raise InvalidTransition(f"A project's stage cannot move back from {stage} to {target}")
    return target


def production_delta(before: str, after: str) -> int:
    """+1 / -1 / 0 for the pitch's in-production counter when a project moves from `before` to `after`."""
    return int(after in IN_PRODUCTION) - int(before in IN_PRODUCTION)
