"""The steps of the investment state machine (statemachines/investment.asl.json). Each is invoked as
`{"step": <name>, "investmentId": ..., ...}`.

    GenerateAgreement → Notify → loop: Stage (Choice on the current status)
      pending | due_diligence | negotiation → Wait (task token, timeout InvestmentStageTtlSeconds)
      committed | active                    → Wait (task token, no timeout)
      terminal                              → done
    Wait → {"outcome": <next status>} (resumed by the API's transition, or by `await` itself when the API
    claimed the stage before its token was stored); a timeout → Expire → expired, or the outcome the API
    claimed just before → Notify → Stage …

Notify tells the other party about every timeline entry it has not announced yet (so two transitions that
happen before the workflow catches up are both announced), then settles the pitch's funding state.
"""

from __future__ import annotations

from typing import Any

from pitchey.core.workflow import SYSTEM, StateConflict, Step, run_step
from pitchey.investments import funding
from pitchey.investments.flow import FLOW, moving
from pitchey.investments.lifecycle import EXPIRED, PENDING
from pitchey.investments.models import Investment, TimelineEntry
from pitchey.notifications.service import notify

ID_KEY = "investmentId"
LABELS = {
    "pending": "pending",
    "due_diligence": "in due diligence",
    "negotiation": "in negotiation",
    "committed": "committed",
    "active": "active (funds sent)",
    "completed": "completed",
    "rejected": "rejected",
    "withdrawn": "withdrawn",
    "defaulted": "defaulted",
    "expired": "expired",
}


def _investment(event: dict[str, Any]) -> Investment:
    investment = FLOW.load(event[ID_KEY])
    if investment is None:
        raise StateConflict(f"investment {event[ID_KEY]} does not exist")
    return investment


def _dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def _announce(investment: Investment, entry: TimelineEntry) -> None:
    data = {"investmentId": investment.id, "pitchId": investment.pitch_id, "status": entry.status}
    amount = _dollars(int(investment.amount_cents))
    if entry.status == PENDING:
        notify(
            investment.creator_id,
            "investment_created",
            "New investment offer",
            f'An investor offers {amount} in "{investment.pitch_title}".',
            data,
        )
        return
    body = f'The {amount} investment in "{investment.pitch_title}" is now {LABELS[entry.status]}.'
    if entry.note:
        body += f' Note: "{entry.note}"'
    if entry.by_user_id == investment.creator_id:
        recipients = [investment.investor_id]
    elif entry.by_user_id == investment.investor_id:
        recipients = [investment.creator_id]
    else:  # the workflow itself (a stage timed out): both parties
        recipients = [investment.investor_id, investment.creator_id]
    for user_id in recipients:
        notify(user_id, "investment_update", "Investment update", body, data)


def notify_parties(event: dict[str, Any]) -> dict[str, Any]:
    investment = _investment(event)
    entries = list(investment.timeline or [])
    done = int(investment.notified or 0)
    for entry in entries[done:]:
        _announce(investment, entry)
    if len(entries) > done:
        investment.update(
            actions=[Investment.notified.set(len(entries))], condition=Investment.notified == done
        )
    funding.settle(investment.pitch_id)  # idempotent backstop of the API's own settle
    return {}


def await_outcome(event: dict[str, Any]) -> dict[str, Any]:
    FLOW.store_token(event[ID_KEY], event["stage"], event["taskToken"])
    return {}


def expire(event: dict[str, Any]) -> dict[str, Any]:
    investment = _investment(event)
    move = moving(investment, EXPIRED, SYSTEM, None, None)
    return {"outcome": FLOW.expire(investment.id, event["stage"], actions=move.actions, extra=move.extra)}


def record_failure(event: dict[str, Any]) -> dict[str, Any]:
    return FLOW.record_failure(event)


STEPS: dict[str, Step] = {
    "notify": notify_parties,
    "await": await_outcome,
    "expire": expire,
    "record_failure": record_failure,
}


def handle(event: dict[str, Any]) -> dict[str, Any]:
    return run_step(STEPS, event, ID_KEY)
