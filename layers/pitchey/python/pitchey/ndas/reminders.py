"""`POST /api/ndas/{id}/remind` (#21): the requester of a pending NDA reminds the pitch's creator, at most
once per 24 h per NDA. The reminder is claimed by one conditional write on the NDA (still pending, no
reminder in the last 24 h), so of two parallel reminders exactly one notifies; the other gets 429."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from pitchey.core import audit, clock
from pitchey.core.caller import Caller
from pitchey.core.errors import NotFound, RateLimited
from pitchey.core.workflow import InvalidTransition
from pitchey.ndas.lifecycle import FLOW, REQUESTER, actor_of
from pitchey.ndas.models import CONDITIONAL_FAILED, PENDING, Nda
from pitchey.ndas.views import nda_json

REMINDER_INTERVAL = timedelta(hours=24)


def remind(caller: Caller, nda_id: str) -> dict[str, Any]:
    nda = FLOW.load(nda_id)
    if nda is None or actor_of(nda, caller.id) != REQUESTER:
        raise NotFound("NDA not found")
    now, previous = clock.now(), nda.reminded_at
    if nda.status != PENDING:
        raise InvalidTransition(f"Cannot send a reminder about an NDA that is {nda.status}")
    free = Nda.reminded_at.does_not_exist() | (Nda.reminded_at <= clock.iso(now - REMINDER_INTERVAL))
    try:
        nda.update(actions=[Nda.reminded_at.set(clock.iso(now))], condition=(Nda.status == PENDING) & free)
    except UpdateError as error:
        if error.cause_response_code != CONDITIONAL_FAILED:
            raise
        current = FLOW.load(nda_id) or nda
        if current.status != PENDING:  # decided (or expired) just now
            raise InvalidTransition(f"Cannot send a reminder about an NDA that is {current.status}") from None
        next_at = clock.from_iso(current.reminded_at) + REMINDER_INTERVAL
        raise RateLimited(
            "A reminder for this NDA was sent in the last 24 hours",
            retry_after=int((next_at - now).total_seconds()) + 1,
        ) from None
    try:
        _notify_creator(nda)
    except Exception:  # not sent: give the reminder back so the requester may retry at once
        undo = Nda.reminded_at.set(previous) if previous else Nda.reminded_at.remove()
        nda.update(actions=[undo], condition=Nda.reminded_at == clock.iso(now))
        raise
    audit.record_about(caller, "nda.remind", "nda", nda)
    return nda_json(nda)


def _notify_creator(nda: Nda) -> None:
    """Like the request's own notification (same type, so in-app and email alike), saying it is a reminder."""
    from pitchey.ndas.sources import load_party
    from pitchey.notifications.service import notify

    requester = load_party(nda.requester_id)
    who = f"{requester.name} ({requester.company})" if requester.company else requester.name
    notify(
        nda.creator_id,
        "nda_request",
        "Reminder: NDA request awaiting your decision",
        f'{who} is still waiting for your decision on their NDA request for "{nda.pitch_title}".',
        {"ndaId": nda.id, "pitchId": nda.pitch_id, "status": nda.status, "reminder": True},
        actor_id=nda.requester_id,
    )
