"""NDA rules for the API. The lifecycle's table and its Step Functions workflow are in lifecycle.py (on
core.workflow); the API only

- records a request (NDA + open-NDA claim in one transaction) and starts the execution named after it;
- takes an actor's event through `FLOW.apply`: one conditional write claims the edge and sets the new
  status (so the response shows it at once and two racing calls cannot both win), then the workflow's
  wait is resumed with SendTaskSuccess (the token is stored on the record by the workflow, never returned
  to clients);
- revokes a signed NDA (the workflow is over by then).

Anyone who is not a party to an NDA, or not the party the event belongs to, gets 404 for it.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pitchey.analytics import models as analytics
from pitchey.core import audit, clock
from pitchey.core.caller import Caller
from pitchey.core.db import Page, PageRequest, Transaction, TransactionCancelled, query_page
from pitchey.core.errors import Conflict, NotFound, ValidationFailed
from pitchey.core.ids import new_id
from pitchey.core.settings import settings
from pitchey.core.workflow import WorkflowUnavailable
from pitchey.ndas.lifecycle import (
    FLOW,
    OPEN_CLAIM,
    TRANSITIONS,
    actor_of,
    grant_access,
    release_open_claim,
    take_open_claim,
)
from pitchey.ndas.models import (
    APPROVED,
    PENDING,
    REVOKED,
    SIGNED,
    Nda,
    OpenNdaClaim,
    open_claim_key,
)
from pitchey.ndas.sources import load_pitch_for_nda
from pitchey.ndas.views import nda_json
from pitchey.payments import service as payments

if TYPE_CHECKING:  # request bodies are parsed by the handlers; only their types are needed here
    from pitchey.ndas.schemas import ApproveNda, RejectNda, RequestNda, SignNda

REQUESTER_ROLES = ("investor", "production")
DOCUMENT_WAIT_SECONDS = 8.0  # how long a download waits for a document the workflow is still rendering


def request_ttl() -> int:
    return settings().nda_request_ttl_seconds


def signature_ttl() -> int:
    return settings().nda_signature_ttl_seconds


def _later(seconds: int) -> str:
    return clock.iso(clock.now() + timedelta(seconds=seconds))


def _audit(action: str, caller: Caller, nda: Nda, **details: Any) -> None:
    audit.record_about(caller, action, "nda", nda, **details)


# --- loading with the party rule -----------------------------------------------------------------------
def _for_party(nda_id: str, caller: Caller) -> Nda:
    nda = FLOW.load(nda_id)
    if nda is None or actor_of(nda, caller.id) is None:
        raise NotFound("NDA not found")
    return nda


def _for_event(nda_id: str, caller: Caller, event: str) -> tuple[Nda, str]:
    """The NDA and the caller's part in it, if that part may ever take `event` (the table says who)."""
    nda = FLOW.load(nda_id)
    actor = actor_of(nda, caller.id) if nda else None
    if nda is None or actor not in TRANSITIONS.actors(event):
        raise NotFound("NDA not found")
    return nda, actor


# --- request ---------------------------------------------------------------------------------------------
def _requestable_pitch(pitch_id: str):  # -> PitchForNda
    pitch = load_pitch_for_nda(pitch_id)
    if pitch is None or pitch.status != "published":
        raise NotFound("Pitch not found")
    return pitch


def request_nda(caller: Caller, body: RequestNda) -> dict[str, Any]:
    pitch = _requestable_pitch(body.pitch_id)
    if not pitch.requires_nda:
        raise Conflict("This pitch does not require an NDA", code="NDA_NOT_REQUIRED")
    now = clock.iso()
    nda = Nda(
        new_id(),
        pitch_id=pitch.id,
        pitch_title=pitch.title,
        requester_id=caller.id,
        requester_type=caller.role,
        creator_id=pitch.creator_id,
        status=PENDING,
        nda_type=pitch.nda_type,
        message=body.message or None,
        requested_at=now,
        expires_at=_later(request_ttl()),
        updated_at=now,
        creator_status=f"{pitch.creator_id}#{PENDING}",
        requester_status=f"{caller.id}#{PENDING}",
    )
    claim = take_open_claim(nda, created_at=now)

    def with_claim_and_credits(txn: Transaction) -> None:  # the request costs credits (payments' spend hook)
        claim(txn)
        payments.charge(txn, payments.Payer(caller.id, caller.role), "nda_request", nda.id)

    try:
        # Without its workflow the request could never be decided: FLOW.start undoes it (503, retry).
        payments.charged(lambda: FLOW.start(nda, extra=with_claim_and_credits, undo=release_open_claim(nda)))
    except TransactionCancelled as cancelled:
        if OPEN_CLAIM not in cancelled.failed:
            raise
        raise Conflict(
            "You already have a pending, approved or signed NDA for this pitch", code="NDA_EXISTS"
        ) from None
    except WorkflowUnavailable:
        payments.refund_charge(caller.id, "nda_request", nda.id, caller.role)
        raise
    _audit("nda.request", caller, nda)
    analytics.record(analytics.NDA_REQUESTED, nda.pitch_id, actor_id=caller.id)
    return nda_json(nda)


# --- decision --------------------------------------------------------------------------------------------
def approve(caller: Caller, nda_id: str, terms: ApproveNda | None = None) -> dict[str, Any]:
    """`terms` (#21): extra terms for the document and an access period that starts at signing."""
    nda, actor = _for_event(nda_id, caller, "approve")
    actions = [Nda.decided_at.set(clock.iso()), Nda.expires_at.set(_later(signature_ttl()))]
    if terms and terms.custom_terms:
        actions.append(Nda.custom_terms.set(terms.custom_terms))
    if terms and terms.access_days:
        actions.append(Nda.access_days.set(terms.access_days))
    FLOW.apply(nda, actor, "approve", actions=actions)
    _audit("nda.approve", caller, nda, accessDays=nda.access_days, customTerms=bool(nda.custom_terms))
    return nda_json(nda)


def reject(caller: Caller, nda_id: str, body: RejectNda) -> dict[str, Any]:
    nda, actor = _for_event(nda_id, caller, "reject")
    actions = [Nda.decided_at.set(clock.iso()), Nda.expires_at.remove()]
    if body.reason:
        actions.append(Nda.rejection_reason.set(body.reason))
    FLOW.apply(nda, actor, "reject", actions=actions, extra=release_open_claim(nda))
    _audit("nda.reject", caller, nda, reason=body.reason)
    return nda_json(nda)


# --- signature and revocation ----------------------------------------------------------------------------
def sign(caller: Caller, nda_id: str, body: SignNda) -> dict[str, Any]:
    if body.accept is not True:
        raise ValidationFailed.field("accept", "You must accept the NDA terms (accept: true) to sign")
    nda, actor = _for_event(nda_id, caller, "sign")
    signed_at = clock.now()
    actions = [
        Nda.signed_at.set(clock.iso(signed_at)),
        Nda.signer_name.set(body.signer_name),
        Nda.signer_ip.set(caller.ip),
        Nda.signer_user_agent.set(caller.user_agent),
        Nda.expires_at.remove(),
    ]
    ends = None
    if nda.access_days:  # the access period runs from signing; the workflow expires the NDA then
        ends = signed_at + timedelta(seconds=int(nda.access_days) * settings().nda_access_day_seconds)
        actions.append(Nda.access_expires_at.set(clock.iso(ends)))
    # The grant opens the protected content, in the same transaction as the status.
    grant = grant_access(nda, int(ends.timestamp()) if ends else None)
    FLOW.apply(nda, actor, "sign", actions=actions, extra=grant)
    _audit("nda.sign", caller, nda, signerName=body.signer_name)
    analytics.record(analytics.NDA_SIGNED, nda.pitch_id, actor_id=caller.id)
    return nda_json(nda)


def revoke(caller: Caller, nda_id: str) -> dict[str, Any]:
    nda, actor = _for_event(nda_id, caller, "revoke")
    # Releasing the claim ends the access grant it holds.
    FLOW.apply(nda, actor, "revoke", actions=[Nda.revoked_at.set(clock.iso())], extra=release_open_claim(nda))
    from pitchey.notifications.service import notify  # only revocation notifies from the API

    notify(
        nda.requester_id,
        "nda_rejected",
        "NDA access revoked",
        f'The creator of "{nda.pitch_title}" revoked your NDA; its protected material is closed to you.',
        {"ndaId": nda.id, "pitchId": nda.pitch_id, "status": REVOKED},
    )
    _audit("nda.revoke", caller, nda)
    return nda_json(nda)


# --- reads -----------------------------------------------------------------------------------------------
def get(caller: Caller, nda_id: str) -> dict[str, Any]:
    return nda_json(_for_party(nda_id, caller))


def document(caller: Caller, nda_id: str) -> dict[str, Any]:
    """A 15-minute link to the current document: the signed copy once signed, else the approved one.
    Right after a decision or signature the workflow may still be rendering it: wait a few seconds."""
    nda = _for_party(nda_id, caller)
    deadline = clock.now() + timedelta(seconds=DOCUMENT_WAIT_SECONDS)
    while nda.status in (APPROVED, SIGNED) and nda.current_document_key is None and clock.now() < deadline:
        _pause()
        nda = FLOW.load(nda_id) or nda
    if nda.status not in (APPROVED, SIGNED):
        raise Conflict(f"An NDA that is {nda.status} has no document", code="DOCUMENT_NOT_AVAILABLE")
    key = nda.current_document_key
    if key is None:
        raise Conflict("The NDA document is still being generated, retry shortly", code="DOCUMENT_NOT_READY")
    from pitchey.ndas import documents

    version = "signed" if nda.status == SIGNED else "approved"
    url, expires_at = documents.download_url(key, f"pitchey-nda-{nda.id}-{version}.pdf")
    _audit("nda.document_download", caller, nda, version=version)
    return {"downloadUrl": url, "expiresAt": expires_at}


def _pause() -> None:
    time.sleep(0.25)


def _list(index: Any, hash_key: str, page: PageRequest) -> Page[dict[str, Any]]:
    """Newest first (ids sort by creation time)."""
    result = query_page(
        Nda,
        lambda **paging: index.query(hash_key, scan_index_forward=False, **paging),
        [attribute.attr_name for attribute in index.Meta.attributes.values()],  # (party[#status], id)
        page=page,
        scope=f"ndas:{index.Meta.index_name}:{hash_key}",
    )
    return result.map(nda_json)


def incoming_requests(caller: Caller, status: str | None, page: PageRequest) -> Page[dict[str, Any]]:
    if status:
        return _list(Nda.by_creator_status, f"{caller.id}#{status}", page)
    return _list(Nda.by_creator, caller.id, page)


def outgoing_requests(caller: Caller, status: str | None, page: PageRequest) -> Page[dict[str, Any]]:
    if status:
        return _list(Nda.by_requester_status, f"{caller.id}#{status}", page)
    return _list(Nda.by_requester, caller.id, page)


def incoming_signed(caller: Caller, page: PageRequest) -> Page[dict[str, Any]]:
    return _list(Nda.by_creator_status, f"{caller.id}#{SIGNED}", page)


def requester_counts(requester_id: str) -> dict[str, int]:
    """How many NDAs a user has requested in all, and how many are signed and pending now (index counts)."""
    return {
        "requested": Nda.by_requester.count(requester_id),
        "signed": Nda.by_requester_status.count(f"{requester_id}#{SIGNED}"),
        "pending": Nda.by_requester_status.count(f"{requester_id}#{PENDING}"),
    }


def can_request(caller: Caller, pitch_id: str) -> dict[str, Any]:
    pitch = _requestable_pitch(pitch_id)
    if caller.role not in REQUESTER_ROLES:
        return {"canRequest": False, "reason": "ROLE_NOT_ALLOWED"}
    if not pitch.requires_nda:
        return {"canRequest": False, "reason": "NDA_NOT_REQUIRED"}
    try:
        OpenNdaClaim.get(open_claim_key(pitch.id, caller.id), consistent_read=True)
    except OpenNdaClaim.DoesNotExist:
        return {"canRequest": True, "reason": None}
    return {"canRequest": False, "reason": "NDA_EXISTS"}
