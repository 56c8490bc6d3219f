"""Funding progress on the pitch: the counters an investment's transaction changes, and the goal rule.

`fundingRaisedCents` counts committed, active and completed investments; `fundingPledgedCents` pending
through negotiation. Both move by atomic ADD inside the investment's own transaction (see service.py), so
they always equal the sum of the investments in those states. Committing is the one move that can be
refused by the pitch: its update is conditioned on `raised <= goal - amount` (with the goal as read), so
concurrent commits can never push raised past the goal.
"""

from __future__ import annotations

from typing import Any

from pitchey.core import clock
from pitchey.core.db import Transaction
from pitchey.core.log import logger
from pitchey.pitches.models import Pitch

PITCH = "pitch"  # the name of the pitch's item in an investment transaction


def load(pitch_id: str) -> Pitch | None:
    try:
        return Pitch.get(pitch_id, consistent_read=True)
    except Pitch.DoesNotExist:
        return None


def progress(pitch: Pitch | None) -> dict[str, Any]:
    """API.md's `fundingProgress` (percent = floor(raised * 100 / goal), 0 without a goal)."""
    raised = int(pitch.funding_raised_cents or 0) if pitch else 0
    pledged = int(pitch.funding_pledged_cents or 0) if pitch else 0
    goal = int(pitch.funding_goal_cents or 0) if pitch else 0
    return {
        "raisedCents": raised,
        "pledgedCents": pledged,
        "goalCents": goal,
        "percent": raised * 100 // goal if goal > 0 else 0,
    }


def room(pitch: Pitch) -> int:
    """How many cents may still be pledged: goal - raised."""
    return int(pitch.funding_goal_cents or 0) - int(pitch.funding_raised_cents or 0)


def _goal_guard(pitch: Pitch, amount: int) -> Any:
    """raised + amount ≤ goal, against the goal as read (a concurrent goal edit cancels, and is re-read)."""
    goal = int(pitch.funding_goal_cents or 0)
    return (
        (Pitch.funding_goal_cents == goal)
        & Pitch.funding_raised_cents.exists()
        & (Pitch.funding_raised_cents <= goal - amount)
    )


def pledge(txn: Transaction, pitch: Pitch, amount: int) -> None:
    """A new investment: only on a published pitch seeking investment with room for the amount."""
    seeking = Pitch.seeking_investment == True  # noqa: E712 (a DynamoDB condition, not a truth test)
    condition = (Pitch.status == "published") & seeking & _goal_guard(pitch, amount)
    txn.update(PITCH, Pitch(pitch.id), [Pitch.funding_pledged_cents.add(amount)], condition=condition)


def move(txn: Transaction, pitch: Pitch, raised: int, pledged: int, amount: int) -> None:
    """Apply a transition's (raised, pledged) change; one that adds to raised must fit under the goal."""
    actions = []
    if raised:
        actions.append(Pitch.funding_raised_cents.add(raised))
    if pledged:
        actions.append(Pitch.funding_pledged_cents.add(pledged))
    if not actions:
        return
    condition = _goal_guard(pitch, amount) if raised > 0 else Pitch.id.exists()
    txn.update(PITCH, Pitch(pitch.id), actions, condition=condition)


MILESTONES = (25, 50, 75, 100)  # percent of the goal raised that the following feed announces


def settle(pitch_id: str) -> None:
    """After raised changed: reaching the goal turns `seekingInvestment` off (and tells the followers); a
    default that brings raised under the goal again reopens a pitch this closed; a milestone newly crossed
    goes to the following feed. Each is one conditional write, so it happens once however many requests
    (and workflow retries) call this."""
    _announce_milestone(pitch_id)
    now = clock.iso()
    try:
        Pitch(pitch_id).update(
            actions=[Pitch.seeking_investment.set(False), Pitch.funding_closed_at.set(now)],
            condition=(Pitch.seeking_investment == True)  # noqa: E712
            & Pitch.funding_goal_cents.exists()
            & (Pitch.funding_raised_cents >= Pitch.funding_goal_cents),
        )
    except Exception as error:
        if not _condition_failed(error):
            raise
    else:
        _notify_followers(pitch_id, "Funding goal reached", "reached its funding goal", closed=True)
        return
    try:
        Pitch(pitch_id).update(
            actions=[Pitch.seeking_investment.set(True), Pitch.funding_closed_at.remove()],
            condition=Pitch.funding_closed_at.exists()
            & (Pitch.funding_raised_cents < Pitch.funding_goal_cents),
        )
    except Exception as error:
        if not _condition_failed(error):
            raise
    else:
        _notify_followers(pitch_id, "Seeking investment again", "is seeking investment again", closed=False)


def _announce_milestone(pitch_id: str) -> None:
    """The highest milestone raised has reached, if no higher or equal one was announced: claimed by a
    conditional write of `fundingMilestone` (against the goal and raised as read), then one feed event.
    Milestones are not taken back when a default lowers raised: the feed tells what happened."""
    from pitchey.activity import service as activity

    pitch = load(pitch_id)
    goal = int(pitch.funding_goal_cents or 0) if pitch else 0
    if pitch is None or goal <= 0:
        return
    raised = int(pitch.funding_raised_cents or 0)
    reached = [m for m in MILESTONES if raised * 100 >= goal * m]
    announced = int(pitch.funding_milestone or 0)
    if not reached or reached[-1] <= announced:
        return
    milestone = reached[-1]
    unannounced = Pitch.funding_milestone.does_not_exist() | (Pitch.funding_milestone < milestone)
    try:
        Pitch(pitch_id).update(
            actions=[Pitch.funding_milestone.set(milestone)],
            condition=unannounced
            & (Pitch.funding_goal_cents == goal)
            & (Pitch.funding_raised_cents >= raised),
        )
    except Exception as error:
        if not _condition_failed(error):
            raise
        return  # announced meanwhile, or the goal changed: the next settle decides again
    summary = (
        f'"{pitch.title}" reached its funding goal'
        if milestone == 100
        else f'"{pitch.title}" raised {milestone}% of its funding goal'
    )
    activity.record(
        "funding_milestone",
        pitch_id=pitch_id,
        creator_id=pitch.creator_id,
        actor_id=pitch.creator_id,
        summary=summary,
    )


def _condition_failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def _notify_followers(pitch_id: str, title: str, what: str, *, closed: bool) -> None:
    """`pitch_update` to the pitch's followers and its creator's. Best effort: the pitch is already
    updated; a lost notification is logged rather than undoing it."""
    from pitchey.follows.models import follower_ids
    from pitchey.notifications.service import notify_many

    try:
        pitch = load(pitch_id)
        if pitch is None:
            return
        recipients = [
            user
            for user in dict.fromkeys(
                follower_ids("pitch", pitch.id) + follower_ids("user", pitch.creator_id)
            )
            if user != pitch.creator_id
        ]
        data = {
            "pitchId": pitch.id,
            "status": pitch.status,
            "fields": ["seekingInvestment"],
            "seekingInvestment": not closed,
            "fundingProgress": progress(pitch),
        }
        if recipients:
            notify_many(recipients, "pitch_update", title, f'"{pitch.title}" {what}', data)
    except Exception:
        logger.exception("pitch_update fan-out failed", extra={"pitch_id": pitch_id})
