"""Investment rules for the API. The Step Functions workflow (workflow.py) waits on each stage; the API

- creates an investment (the item, its open-investment claim, its first history item and the pitch's
  pledged counter in one transaction) and starts the execution named after it;
- moves it along an edge of lifecycle.TABLE with one transaction (flow.FLOW.apply: status, claim of the
  stage's wait, timeline, history, funding counters, claim release), then resumes the stage's wait.

Anyone who is not a party to an investment (its investor, the pitch's creator) gets 404 for it.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pitchey.analytics import models as analytics
from pitchey.core import audit, clock
from pitchey.core.caller import Caller
from pitchey.core.db import Page, PageRequest, Transaction, TransactionCancelled, query_page
from pitchey.core.errors import Conflict, NotFound, ValidationFailed
from pitchey.core.ids import new_id
from pitchey.core.log import logger
from pitchey.core.settings import settings
from pitchey.core.workflow import Build, InvalidTransition
from pitchey.investments import funding
from pitchey.investments.flow import CLAIM, EVENT, FLOW, history_item, moving, stage_deadline
from pitchey.investments.lifecycle import (
    ACTIVE,
    COMMITTED,
    CREATOR,
    INVESTOR,
    PENDING,
    RAISED,
    TABLE,
    TERMINAL,
)
from pitchey.investments.models import (
    Investment,
    InvestmentEvent,
    OpenInvestmentClaim,
    TimelineEntry,
    open_claim_key,
)
from pitchey.investments.views import entry_json, investment_json

if TYPE_CHECKING:
    from pitchey.investments.schemas import CreateInvestment, TransitionInvestment
    from pitchey.pitches.models import Pitch

DOCUMENT_WAIT_SECONDS = 8.0  # how long a download waits for an agreement the workflow is still rendering
_ATTEMPTS = 4  # re-reads when a concurrent goal edit cancelled a funding condition


def _audit(action: str, caller: Caller, investment: Investment, **details: Any) -> None:
    audit.record_about(caller, action, "investment", investment, **details)


def _answer(investment: Investment, pitch: Pitch | None = None) -> dict[str, Any]:
    pitch = pitch or funding.load(investment.pitch_id)
    return {"investment": investment_json(investment), "fundingProgress": funding.progress(pitch)}


# --- loading with the party rule -----------------------------------------------------------------------
def _load(investment_id: str) -> Investment:
    if not 0 < len(investment_id) <= 128:
        raise NotFound("Investment not found")
    investment = FLOW.load(investment_id)
    if investment is None:
        raise NotFound("Investment not found")
    return investment


def _for_party(investment_id: str, caller: Caller) -> Investment:
    investment = _load(investment_id)
    if caller.id not in (investment.creator_id, investment.investor_id):
        raise NotFound("Investment not found")
    return investment


# --- create ------------------------------------------------------------------------------------------------
def _investable(pitch_id: str, caller: Caller, amount: int) -> Pitch:
    """The pitch if `caller` may invest `amount` in it now, else the API.md error."""
    from pitchey.ndas.access import has_signed_nda

    pitch = funding.load(pitch_id)
    if pitch is None or pitch.status != "published":
        raise NotFound("Pitch not found")
    if not pitch.seeking_investment or not (pitch.funding_goal_cents or 0) > 0:
        raise Conflict("This pitch is not seeking investment", code="NOT_SEEKING_INVESTMENT")
    if pitch.requires_nda and not has_signed_nda(caller.id, pitch.id):
        raise ValidationFailed.field("pitchId", "Sign the pitch's NDA before investing", code="NDA_REQUIRED")
    minimum = int(pitch.min_investment_cents or 0)
    if amount < minimum:
        raise ValidationFailed.field(
            "amountCents", f"The minimum investment in this pitch is {minimum} cents"
        )
    if amount > funding.room(pitch):
        raise ValidationFailed.field(
            "amountCents", f"At most {max(funding.room(pitch), 0)} cents are still open in this pitch"
        )
    return pitch


def create(caller: Caller, body: CreateInvestment) -> dict[str, Any]:
    amount = body.amount_cents
    for _ in range(_ATTEMPTS):
        pitch = _investable(body.pitch_id, caller, amount)
        at = clock.iso()
        entry = TimelineEntry(status=PENDING, at=at, by_user_id=caller.id, note=None)
        investment = Investment(
            new_id(),
            pitch_id=pitch.id,
            pitch_title=pitch.title,
            investor_id=caller.id,
            creator_id=pitch.creator_id,
            amount_cents=amount,
            currency=body.currency,
            status=PENDING,
            transaction_id=f"txn_{secrets.token_hex(12)}",
            terms=body.terms or None,
            created_at=clock.iso_precise(),
            updated_at=at,
            expires_at=stage_deadline(PENDING),
            timeline=[entry],
            notified=0,
        )
        claim = OpenInvestmentClaim(
            open_claim_key(pitch.id, caller.id), investment_id=investment.id, created_at=at
        )
        event = history_item(investment, entry)

        def extra(txn, pitch=pitch, claim=claim, event=event) -> None:
            txn.put(CLAIM, claim, condition=OpenInvestmentClaim.key.does_not_exist())
            txn.put(EVENT, event)
            funding.pledge(txn, pitch, amount)

        def undo(txn, pitch=pitch, claim=claim, event=event) -> None:
            from pitchey.pitches.models import Pitch

            txn.delete(CLAIM, claim)
            txn.delete(EVENT, event)
            txn.update(funding.PITCH, Pitch(pitch.id), [Pitch.funding_pledged_cents.add(-amount)])

        try:
            FLOW.start(investment, extra=extra, undo=undo)
        except TransactionCancelled as cancelled:
            if CLAIM in cancelled.failed:
                raise Conflict(
                    "You already have an open investment in this pitch", code="INVESTMENT_EXISTS"
                ) from None
            if funding.PITCH in cancelled.failed:
                continue  # the pitch changed since it was read: check the rules again against it
            raise
        _audit("investment.create", caller, investment, amountCents=amount)
        analytics.record(analytics.INVESTMENT_CREATED, pitch.id, actor_id=caller.id, amount_cents=amount)
        return _answer(investment)
    raise Conflict("The pitch is being changed by another request; try again", code="CONCURRENT_UPDATE")


# --- transitions -------------------------------------------------------------------------------------------
def payment_required() -> bool:
    """InvestmentPaymentRequired: committed → active only through a confirmed payment."""
    return settings().investment_payment_required.lower() != "false"


def transition(caller: Caller, investment_id: str, body: TransitionInvestment) -> dict[str, Any]:
    investment = _for_party(investment_id, caller)
    actor = CREATOR if caller.id == investment.creator_id else INVESTOR
    if actor == INVESTOR and investment.status == COMMITTED and body.to == ACTIVE and payment_required():
        raise Conflict(
            "Pay for this investment with POST /api/payments/process; it becomes active when paid",
            code="PAYMENT_REQUIRED",
        )
    try:
        source, target = _move(investment, actor, caller.id, body)
    except InvalidTransition:
        current = _load(investment_id).status
        raise InvalidTransition(f"An investment that is {current} cannot move to {body.to}") from None
    funding.settle(investment.pitch_id)
    _audit("investment.transition", caller, investment, source=source, target=target)
    return _answer(investment)


def payable(investment_id: str, investor_id: str) -> dict[str, Any]:
    """What POST /api/payments/process charges: the caller's committed investment (404 for anyone but its
    investor, 409 INVALID_TRANSITION unless committed)."""
    investment = _load(investment_id)
    if investment.investor_id != investor_id:
        raise NotFound("Investment not found")
    if investment.status != COMMITTED:
        raise InvalidTransition(f"Only a committed investment can be paid; this one is {investment.status}")
    return {
        "id": investment.id,
        "amountCents": int(investment.amount_cents),
        "currency": investment.currency,
        "pitchTitle": investment.pitch_title,
    }


def activate_paid(investment_id: str, investor_id: str, note: str, extra: Build) -> bool:
    """The payment webhook's move committed → active (as the investor), with `extra` (the payment's own
    effects) in the same transaction. False, and nothing written, when it is no longer committed."""
    try:
        investment = _load(investment_id)
    except NotFound:
        return False
    if investment.investor_id != investor_id or investment.status != COMMITTED:
        return False
    from pitchey.investments.schemas import TransitionInvestment

    body = TransitionInvestment(to=ACTIVE, note=note)
    try:
        _move(investment, INVESTOR, investor_id, body, also=extra)
    except InvalidTransition:
        return False
    funding.settle(investment.pitch_id)
    return True


def _move(
    investment: Investment, actor: str, by: str, body: TransitionInvestment, also: Build | None = None
) -> tuple[str, str]:
    """Take the edge `actor` asks for (with `also`'s items); `investment` is refreshed with the item as
    written. Returns (source, target)."""
    for _ in range(_ATTEMPTS):
        source = investment.status
        target = TABLE.next(source, actor, body.to)  # 409 INVALID_TRANSITION for any other move
        pitch = funding.load(investment.pitch_id) if target in RAISED and source not in RAISED else None
        move = moving(investment, target, by, body.note or None, pitch)
        # FLOW refuses a pledged stage past its deadline (expiresAt): the workflow's timeout decides it.
        try:
            extra = move.extra if also is None else _both(move.extra, also)
            FLOW.apply(investment, actor, body.to, actions=move.actions, extra=extra)
        except TransactionCancelled as cancelled:
            if cancelled.failed.get(funding.PITCH) != "ConditionalCheckFailed":
                logger.error("investment transition cancelled", extra={"failed": cancelled.failed})
                raise
            current = funding.load(investment.pitch_id)
            if (
                current is not None
                and pitch is not None
                and current.funding_goal_cents != pitch.funding_goal_cents
            ):
                investment.refresh(consistent_read=True)
                continue  # the goal was edited meanwhile: decide against the new one
            raise Conflict(
                "Committing this investment would take the pitch past its funding goal",
                code="FUNDING_GOAL_EXCEEDED",
            ) from None
        return source, target
    raise Conflict("The pitch is being changed by another request; try again", code="CONCURRENT_UPDATE")


def _both(first: Build, second: Build) -> Build:
    def build(txn: Transaction) -> None:
        first(txn)
        second(txn)

    return build


# --- reads -------------------------------------------------------------------------------------------------
def get(caller: Caller, investment_id: str) -> dict[str, Any]:
    return investment_json(_for_party(investment_id, caller))


def timeline(caller: Caller, investment_id: str) -> list[dict[str, Any]]:
    return [entry_json(entry) for entry in _for_party(investment_id, caller).timeline or []]


def agreement(caller: Caller, investment_id: str) -> dict[str, Any]:
    """A 15-minute link to the agreement PDF. Right after creation the workflow may still be rendering it."""
    investment = _for_party(investment_id, caller)
    deadline = clock.now() + timedelta(seconds=DOCUMENT_WAIT_SECONDS)
    while investment.agreement_key is None and clock.now() < deadline:
        time.sleep(0.25)
        investment = _load(investment_id)
    if investment.agreement_key is None:
        raise Conflict("The agreement is still being generated, retry shortly", code="DOCUMENT_NOT_READY")
    from pitchey.investments import documents

    url, expires_at = documents.download_url(
        investment.agreement_key, f"pitchey-investment-{investment.id}-agreement.pdf"
    )
    _audit("investment.agreement_download", caller, investment)
    return {"downloadUrl": url, "expiresAt": expires_at}


def _all_of_investor(investor_id: str) -> list[Investment]:
    return list(Investment.by_investor.query(investor_id, scan_index_forward=False))


def portfolio(caller: Caller) -> dict[str, Any]:
    investments = _all_of_investor(caller.id)
    by_status: dict[str, dict[str, int]] = {}
    for investment in investments:
        bucket = by_status.setdefault(investment.status, {"count": 0, "amountCents": 0})
        bucket["count"] += 1
        bucket["amountCents"] += int(investment.amount_cents)
    return {
        "totalInvestedCents": sum(int(i.amount_cents) for i in investments if i.status in RAISED),
        "activeCount": sum(1 for i in investments if i.status not in TERMINAL),
        "byStatus": by_status,
        "investments": [investment_json(i) for i in investments],
    }


def history(caller: Caller, page: PageRequest) -> Page[dict[str, Any]]:
    result = query_page(
        InvestmentEvent,
        lambda **kw: InvestmentEvent.query(caller.id, scan_index_forward=False, **kw),
        ("investorId", "sk"),
        page=page,
        scope=f"investment-history|{caller.id}",
    )
    return result.map(
        lambda event: {
            "investmentId": event.investment_id,
            "pitchId": event.pitch_id,
            "status": event.status,
            "at": event.at,
            "byUserId": event.by_user_id,
            "note": event.note,
        }
    )


def pitch_investments(
    caller: Caller, pitch_id: str, status: str | None, page: PageRequest
) -> Page[dict[str, Any]]:
    """The owner's view of a pitch's investments, newest first (`?status=` filters)."""
    pitch = funding.load(pitch_id) if 0 < len(pitch_id) <= 128 else None
    if pitch is None or pitch.creator_id != caller.id:
        raise NotFound("Pitch not found")
    condition = Investment.status == status if status else None
    result = query_page(
        Investment,
        lambda **kw: Investment.by_pitch.query(
            pitch_id, scan_index_forward=False, filter_condition=condition, **kw
        ),
        ("id", "pitchId", "createdAt"),
        page=page,
        scope=f"pitch-investments|{pitch_id}|{status}",
        filtered=condition is not None,
    )
    return result.map(investment_json)


def recommendations(caller: Caller, limit: int) -> list[dict[str, Any]]:
    from pitchey.investments.recommendations import recommend

    return recommend(caller.id, limit)
