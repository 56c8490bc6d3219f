"""NDA rules for the API. The Step Functions workflow (workflow.py) owns the lifecycle; the API only

- records a request (NDA + open-NDA claim in one transaction) and starts the execution named after it;
- claims a decision or a signature with one conditional write that also sets the new status, so the
  response shows it at once and two racing calls cannot both win, then resumes the workflow's wait with
  SendTaskSuccess (the token is stored on the record by the workflow, never returned to clients);
- revokes a signed NDA (the workflow is over by then).

Anyone who is not a party to an NDA gets 404 for it, whatever they try.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pitchey.analytics import service as analytics
from pitchey.core import audit, clock
from pitchey.core.config import int_setting
from pitchey.core.cursor import decode_cursor, encode_cursor
from pitchey.core.db import PageRequest
from pitchey.core.errors import AppError, Conflict, NotFound, ValidationFailed
from pitchey.core.http import Request
from pitchey.core.ids import new_id
from pitchey.core.log import logger
from pitchey.ndas import callbacks
from pitchey.ndas.models import (
    APPROVED,
    PENDING,
    REJECTED,
    REVOKED,
    SIGNED,
    ClaimTaken,
    Nda,
    OpenNdaClaim,
    TransitionRefused,
    access_key,
    apply_transition,
    apply_transition_releasing_claim,
    create_with_claim,
    delete_with_claim,
    open_claim_key,
)
from pitchey.ndas.sources import load_pitch_for_nda
from pitchey.ndas.views import nda_json

if TYPE_CHECKING:  # request bodies are parsed by the handlers; only their types are needed here
    from pitchey.ndas.schemas import RejectNda, RequestNda, SignNda

REQUESTER_ROLES = ("investor", "production")
DOCUMENT_WAIT_SECONDS = 8.0  # how long a download waits for a document the workflow is still rendering


class WorkflowUnavailable(AppError):
    status, code = 503, "SERVICE_UNAVAILABLE"


@dataclass(frozen=True)
class Caller:
    id: str
    role: str
    ip: str
    user_agent: str

    @classmethod
    def of(cls, request: Request) -> Caller:
        user = request.require_user()
        return cls(id=user.id, role=user.role, ip=request.source_ip, user_agent=request.user_agent)


def request_ttl() -> int:
    return int_setting("NDA_REQUEST_TTL_SECONDS", 2592000)


def signature_ttl() -> int:
    return int_setting("NDA_SIGNATURE_TTL_SECONDS", 1209600)


def _later(seconds: int) -> str:
    return clock.iso(clock.now() + timedelta(seconds=seconds))


def _audit(action: str, caller: Caller, nda: Nda, **details: Any) -> None:
    audit.record(
        action,
        actor_id=caller.id,
        target_type="nda",
        target_id=nda.id,
        ip_address=caller.ip,
        user_agent=caller.user_agent,
        details={"pitchId": nda.pitch_id, "status": nda.status, **details},
    )


def _invalid_transition(nda: Nda, action: str) -> Conflict:
    return Conflict(f"Cannot {action} an NDA that is {nda.status}", code="INVALID_TRANSITION")


# --- loading with the party rule -----------------------------------------------------------------------
def _load(nda_id: str) -> Nda:
    try:
        return Nda.get(nda_id, consistent_read=True)
    except Nda.DoesNotExist:
        raise NotFound("NDA not found") from None


def _for_party(nda_id: str, caller: Caller) -> Nda:
    nda = _load(nda_id)
    if caller.id not in (nda.creator_id, nda.requester_id):
        raise NotFound("NDA not found")
    return nda


def _for_owner(nda_id: str, caller: Caller) -> Nda:
    nda = _load(nda_id)
    if caller.id != nda.creator_id:
        raise NotFound("NDA not found")
    return nda


def _for_requester(nda_id: str, caller: Caller) -> Nda:
    nda = _load(nda_id)
    if caller.id != nda.requester_id:
        raise NotFound("NDA not found")
    return nda


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
    try:
        create_with_claim(nda, created_at=now)
    except ClaimTaken:
        raise Conflict(
            "You already have a pending, approved or signed NDA for this pitch", code="NDA_EXISTS"
        ) from None
    try:
        callbacks.start_workflow(nda.id)
    except Exception:
        # Without its workflow the request could never be decided: undo it so the caller can retry.
        logger.exception("nda workflow did not start", extra={"nda_id": nda.id})
        delete_with_claim(nda)
        raise WorkflowUnavailable("NDA requests are unavailable right now, please retry") from None
    _audit("nda.request", caller, nda)
    analytics.record(analytics.NDA_REQUESTED, nda.pitch_id, actor_id=caller.id)
    return nda_json(nda)


# --- decision --------------------------------------------------------------------------------------------
def _decision_condition():  # -> Condition
    """The only edge out of `pending` the API takes: undecided, and not past its deadline (the workflow's
    timeout is about to expire it)."""
    return (Nda.status == PENDING) & Nda.decision.does_not_exist() & (Nda.expires_at > clock.iso())


def approve(caller: Caller, nda_id: str) -> dict[str, Any]:
    nda = _for_owner(nda_id, caller)
    now = clock.iso()
    actions = [
        *nda.status_actions(APPROVED),
        Nda.decision.set(APPROVED),
        Nda.decided_at.set(now),
        Nda.expires_at.set(_later(signature_ttl())),
    ]
    try:
        apply_transition(nda, actions, _decision_condition())
    except TransitionRefused:
        raise _invalid_transition(_load(nda_id), "approve") from None
    if nda.decision_task_token:
        callbacks.send_outcome(nda.decision_task_token, APPROVED)
    _audit("nda.approve", caller, nda)
    return nda_json(nda)


def reject(caller: Caller, nda_id: str, body: RejectNda) -> dict[str, Any]:
    nda = _for_owner(nda_id, caller)
    actions = [
        *nda.status_actions(REJECTED),
        Nda.decision.set(REJECTED),
        Nda.decided_at.set(clock.iso()),
        Nda.expires_at.remove(),
    ]
    if body.reason:
        actions.append(Nda.rejection_reason.set(body.reason))
    try:
        apply_transition_releasing_claim(nda, actions, _decision_condition())
    except TransitionRefused:
        raise _invalid_transition(_load(nda_id), "reject") from None
    if nda.decision_task_token:
        callbacks.send_outcome(nda.decision_task_token, REJECTED)
    _audit("nda.reject", caller, nda, reason=body.reason)
    return nda_json(nda)


# --- signature and revocation ----------------------------------------------------------------------------
def sign(caller: Caller, nda_id: str, body: SignNda) -> dict[str, Any]:
    if body.accept is not True:
        raise ValidationFailed.field("accept", "You must accept the NDA terms (accept: true) to sign")
    nda = _for_requester(nda_id, caller)
    now = clock.iso()
    actions = [
        *nda.status_actions(SIGNED),
        Nda.signed_at.set(now),
        Nda.signer_name.set(body.signer_name),
        Nda.signer_ip.set(caller.ip),
        Nda.signer_user_agent.set(caller.user_agent),
        Nda.access_key.set(access_key(nda.requester_id, nda.pitch_id)),  # opens protected content
        Nda.expires_at.remove(),
    ]
    condition = (Nda.status == APPROVED) & Nda.signed_at.does_not_exist() & (Nda.expires_at > now)
    try:
        apply_transition(nda, actions, condition)
    except TransitionRefused:
        raise _invalid_transition(_load(nda_id), "sign") from None
    if nda.signature_task_token:
        callbacks.send_outcome(nda.signature_task_token, SIGNED)
    _audit("nda.sign", caller, nda, signerName=body.signer_name)
    analytics.record(analytics.NDA_SIGNED, nda.pitch_id, actor_id=caller.id)
    return nda_json(nda)


def revoke(caller: Caller, nda_id: str) -> dict[str, Any]:
    nda = _for_owner(nda_id, caller)
    actions = [*nda.status_actions(REVOKED), Nda.revoked_at.set(clock.iso()), Nda.access_key.remove()]
    try:
        apply_transition_releasing_claim(nda, actions, Nda.status == SIGNED)
    except TransitionRefused:
        raise _invalid_transition(_load(nda_id), "revoke") from None
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
        nda = _load(nda_id)
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


def _list(index: Any, hash_key: str, page: PageRequest) -> tuple[list[dict[str, Any]], str | None]:
    scope = f"ndas:{index.Meta.index_name}:{hash_key}"
    results = index.query(
        hash_key,
        scan_index_forward=False,
        limit=page.limit,
        page_size=page.limit,
        last_evaluated_key=decode_cursor(page.cursor, scope),
    )
    items = [nda_json(nda) for nda in results]
    return items, encode_cursor(results.last_evaluated_key, scope)


def incoming_requests(
    caller: Caller, status: str | None, page: PageRequest
) -> tuple[list[dict[str, Any]], str | None]:
    if status:
        return _list(Nda.by_creator_status, f"{caller.id}#{status}", page)
    return _list(Nda.by_creator, caller.id, page)


def outgoing_requests(
    caller: Caller, status: str | None, page: PageRequest
) -> tuple[list[dict[str, Any]], str | None]:
    if status:
        return _list(Nda.by_requester_status, f"{caller.id}#{status}", page)
    return _list(Nda.by_requester, caller.id, page)


def incoming_signed(caller: Caller, page: PageRequest) -> tuple[list[dict[str, Any]], str | None]:
    return _list(Nda.by_creator_status, f"{caller.id}#{SIGNED}", page)


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
