"""The investment lifecycle bound to the shared workflow component (`pitchey.core.workflow`): the table of
lifecycle.py, the Investments item as read model, one Step Functions wait per waiting stage.

`moving(...)` builds what every status change writes besides the status (used by the API's transitions and
by the workflow's expiry alike): the timeline entry, the stage deadline, the history item, the pitch's
funding counters and, when the investment closes, the release of its open-investment claim — all in the
transaction that takes the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pitchey.core import clock
from pitchey.core.db import Transaction
from pitchey.core.settings import settings
from pitchey.core.workflow import Wait, Workflow
from pitchey.investments import funding
from pitchey.investments.lifecycle import TABLE, TERMINAL, TIMED, funding_delta
from pitchey.investments.models import (
    Investment,
    InvestmentEvent,
    OpenInvestmentClaim,
    TimelineEntry,
    open_claim_key,
)
from pitchey.pitches.models import Pitch

FLOW = Workflow(
    TABLE,
    Investment,
    waits=[
        Wait("pending", token=Investment.pending_token, outcome=Investment.pending_outcome),
        Wait("due_diligence", token=Investment.due_diligence_token, outcome=Investment.due_diligence_outcome),
        Wait("negotiation", token=Investment.negotiation_token, outcome=Investment.negotiation_outcome),
        Wait("committed", token=Investment.committed_token, outcome=Investment.committed_outcome),
        Wait("active", token=Investment.active_token, outcome=Investment.active_outcome),
    ],
    state_machine_arn=lambda: settings().require("investment_state_machine_arn"),
    id_key="investmentId",
    deadline=Investment.expires_at,  # pledged stages only; committed and active have none
    failure=Investment.workflow_error,
    unavailable="Investments are unavailable right now, please retry",
)
CLAIM, EVENT = "claim", "event"


def stage_ttl() -> int:
    return settings().investment_stage_ttl_seconds


def stage_deadline(status: str) -> str | None:
    """When a wait in `status` times out: pledged stages only (committed and active never expire)."""
    if status not in TIMED:
        return None
    return clock.iso(clock.now() + timedelta(seconds=stage_ttl()))


def history_item(investment: Investment, entry: TimelineEntry) -> InvestmentEvent:
    return InvestmentEvent(
        investment.investor_id,
        f"{clock.iso_precise()}#{investment.id}",
        investment_id=investment.id,
        pitch_id=investment.pitch_id,
        status=entry.status,
        at=entry.at,
        by_user_id=entry.by_user_id,
        note=entry.note,
    )


@dataclass
class Move:
    """A status change's writes besides the status: `actions` on the investment, `extra` items."""

    actions: list[Any]
    extra: Any


def moving(investment: Investment, target: str, by: str, note: str | None, pitch: Pitch | None) -> Move:
    """Everything the move of `investment` (as read) to `target` writes with the status. `pitch` is the pitch
    as read, needed only when the move adds to raised (the goal guard)."""
    entry = TimelineEntry(status=target, at=clock.iso(), by_user_id=by, note=note)
    deadline = stage_deadline(target)
    actions = [
        Investment.timeline.set(Investment.timeline.append([entry])),
        Investment.expires_at.set(deadline) if deadline else Investment.expires_at.remove(),
    ]
    amount = int(investment.amount_cents)
    raised, pledged = funding_delta(investment.status, target, amount)
    event = history_item(investment, entry)

    def extra(txn: Transaction) -> None:
        txn.put(EVENT, event)
        if raised or pledged:
            funding.move(txn, pitch or Pitch(investment.pitch_id), raised, pledged, amount)
        if target in TERMINAL:
            claim = OpenInvestmentClaim(open_claim_key(investment.pitch_id, investment.investor_id))
            txn.delete(
                CLAIM,
                claim,
                condition=OpenInvestmentClaim.key.does_not_exist()
                | (OpenInvestmentClaim.investment_id == investment.id),
            )

    return Move(actions, extra)
