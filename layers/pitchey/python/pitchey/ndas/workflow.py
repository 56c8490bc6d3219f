"""The steps of the NDA state machine (statemachines/nda.asl.json). Each is invoked as
`{"step": <name>, "ndaId": ..., ...}` and writes the read model only through conditional writes that
allow exactly its edge.

    NotifyCreator → WaitForDecision (token, timeout = request TTL) → DecisionOutcome
      approved → GenerateDocument → NotifyApproved → WaitForSignature (token, timeout = signature TTL)
                 → SignatureOutcome: signed → GenerateSignedDocument → NotifySigned → Signed
      rejected → NotifyRejected → Rejected
      timeout  → ExpireRequest / ExpireSignature → expired → NotifyExpired → Expired

Waits store their task token on the NDA record. The API claims a decision/signature with a conditional
write and then resumes the wait with that token; if it wrote before the token was stored, the storing step
sees the claim and resumes the wait itself. A timeout racing a claim is settled by the expiry step's
condition: if the claim won, it reports the claimed outcome and the execution carries on from there.

Errors: `TransientError` (throttling, 5xx, connection trouble) is retried with backoff by the state machine;
anything else is caught, recorded on the NDA by `record_failure`, and fails the execution.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from pitchey.core import audit, clock
from pitchey.core.log import logger
from pitchey.ndas import callbacks
from pitchey.ndas.models import (
    APPROVED,
    EXPIRED,
    PENDING,
    SIGNED,
    Nda,
    TransitionRefused,
    apply_transition_releasing_claim,
)
from pitchey.ndas.sources import load_party
from pitchey.notifications.service import notify

Step = Callable[[dict[str, Any]], dict[str, Any]]

TRANSIENT_CODES = {
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionConflictException",
    "InternalServerError",
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "TooManyRequestsException",
}


class TransientError(Exception):
    """Worth retrying: the state machine's Retry matches this name."""


class NdaStateConflict(Exception):
    """The NDA is not in a state this step expects: a permanent failure, recorded and not retried."""


def is_transient(error: BaseException) -> bool:
    if isinstance(error, PynamoDBException):
        return error.cause is not None and is_transient(error.cause)
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in TRANSIENT_CODES or status >= 500
    return isinstance(error, BotoCoreError)  # connection errors, timeouts


def run_step(steps: dict[str, Step], event: dict[str, Any]) -> dict[str, Any]:
    """Dispatch one state machine step; classify failures so Retry/Catch can tell them apart."""
    step = steps.get(event.get("step", ""))
    if step is None:
        raise ValueError(f"unknown NDA workflow step {event.get('step')!r}")
    logger.append_keys(nda_id=event.get("ndaId"), step=event.get("step"))
    try:
        return step(event)
    except Exception as error:
        if is_transient(error):
            logger.warning("transient failure in NDA workflow step", exc_info=True)
            raise TransientError(f"{type(error).__name__}: {error}") from error
        raise


def _nda(event: dict[str, Any]) -> Nda:
    try:
        return Nda.get(event["ndaId"], consistent_read=True)
    except Nda.DoesNotExist:
        raise NdaStateConflict(f"NDA {event['ndaId']} does not exist") from None


def _data(nda: Nda) -> dict[str, Any]:
    return {"ndaId": nda.id, "pitchId": nda.pitch_id, "status": nda.status}


# --- notifications ---------------------------------------------------------------------------------------
def notify_request(event: dict[str, Any]) -> dict[str, Any]:
    nda = _nda(event)
    requester = load_party(nda.requester_id)
    who = f"{requester.name} ({requester.company})" if requester.company else requester.name
    body = f'{who}, {requester.role.lower()}, asks to sign an NDA for "{nda.pitch_title}".'
    if nda.message:
        body += f' Message: "{nda.message}"'
    notify(nda.creator_id, "nda_request", "New NDA request", body, _data(nda))
    return {}


def notify_approved(event: dict[str, Any]) -> dict[str, Any]:
    nda = _nda(event)
    notify(
        nda.requester_id,
        "nda_approved",
        "NDA request approved",
        f'Your NDA request for "{nda.pitch_title}" was approved. Review and sign it to see the protected '
        "material.",
        _data(nda),
    )
    return {}


def notify_rejected(event: dict[str, Any]) -> dict[str, Any]:
    nda = _nda(event)
    body = f'Your NDA request for "{nda.pitch_title}" was declined.'
    if nda.rejection_reason:
        body += f" Reason: {nda.rejection_reason}"
    notify(nda.requester_id, "nda_rejected", "NDA request declined", body, _data(nda))
    return {}


def notify_signed(event: dict[str, Any]) -> dict[str, Any]:
    nda = _nda(event)
    notify(
        nda.creator_id,
        "nda_signed",
        "NDA signed",
        f'{nda.signer_name} signed the NDA for "{nda.pitch_title}".',
        _data(nda),
    )
    notify(
        nda.requester_id,
        "nda_signed",
        "NDA signed: access granted",
        f'You signed the NDA for "{nda.pitch_title}". Its protected material is now open to you.',
        _data(nda),
    )
    return {}


def notify_expired(event: dict[str, Any]) -> dict[str, Any]:
    nda = _nda(event)
    if nda.decided_at:  # approved, never signed
        creator_body = f'The approved NDA for "{nda.pitch_title}" was not signed in time and has expired.'
        requester_body = f'Your approved NDA for "{nda.pitch_title}" was not signed in time and has expired.'
    else:
        creator_body = f'An NDA request for "{nda.pitch_title}" was not decided in time and has expired.'
        requester_body = f'Your NDA request for "{nda.pitch_title}" was not decided in time and has expired.'
    notify(nda.creator_id, "nda_expired", "NDA expired", creator_body, _data(nda))
    notify(nda.requester_id, "nda_expired", "NDA expired", requester_body, _data(nda))
    return {}


# --- waits -----------------------------------------------------------------------------------------------
def _store_token(event: dict[str, Any], token_attribute: Any, claimed: Callable[[Nda], str | None]) -> dict:
    nda = _nda(event)
    token = event["taskToken"]
    nda.update(actions=[token_attribute.set(token)], condition=Nda.id.exists())
    outcome = claimed(nda)  # the item as written: did the API claim the outcome before the token existed?
    if outcome:
        callbacks.send_outcome(token, outcome)
    return {}


def await_decision(event: dict[str, Any]) -> dict[str, Any]:
    return _store_token(event, Nda.decision_task_token, lambda nda: nda.decision)


def await_signature(event: dict[str, Any]) -> dict[str, Any]:
    return _store_token(event, Nda.signature_task_token, lambda nda: SIGNED if nda.signed_at else None)


# --- expiry ----------------------------------------------------------------------------------------------
def expire(event: dict[str, Any]) -> dict[str, Any]:
    """A wait timed out. Expire the NDA (releasing the open-NDA claim) unless the API claimed the outcome
    just before: then report that outcome so the execution continues with it."""
    nda = _nda(event)
    if event["stage"] == "decision":
        condition = (Nda.status == PENDING) & Nda.decision.does_not_exist()
    elif event["stage"] == "signature":
        condition = (Nda.status == APPROVED) & Nda.signed_at.does_not_exist()
    else:
        raise ValueError(f"unknown stage {event['stage']!r}")
    try:
        apply_transition_releasing_claim(nda, nda.status_actions(EXPIRED), condition)
    except TransitionRefused:
        current = _nda(event)
        if current.status == EXPIRED:  # a retry of this step after it had already expired the NDA
            return {"outcome": EXPIRED}
        outcome = (
            current.decision if event["stage"] == "decision" else (SIGNED if current.signed_at else None)
        )
        if not outcome:
            raise NdaStateConflict(f"NDA {current.id} is {current.status}: cannot expire") from None
        logger.info("wait timed out after the outcome was claimed", extra={"outcome": outcome})
        return {"outcome": outcome}
    audit.record(
        "nda.expire",
        actor_id="system",
        target_type="nda",
        target_id=nda.id,
        details={"pitchId": nda.pitch_id, "stage": event["stage"], "at": clock.iso()},
    )
    return {"outcome": EXPIRED}


# --- failure ---------------------------------------------------------------------------------------------
def record_failure(event: dict[str, Any]) -> dict[str, Any]:
    """Catch-all target: record the error on the NDA (visible to operators) before the execution fails."""
    failure = event.get("failure") or {}
    record = {
        "error": str(failure.get("Error", "unknown"))[:200],
        "cause": str(failure.get("Cause", ""))[:2000],
        "at": clock.iso(),
    }
    logger.error("NDA workflow failed", extra={"failure": record})
    try:
        Nda(event["ndaId"]).update(actions=[Nda.workflow_error.set(record)], condition=Nda.id.exists())
    except PynamoDBException:
        logger.exception("could not record the NDA workflow failure")
        raise
    return {}


STEPS: dict[str, Step] = {
    "notify_request": notify_request,
    "await_decision": await_decision,
    "notify_approved": notify_approved,
    "notify_rejected": notify_rejected,
    "await_signature": await_signature,
    "notify_signed": notify_signed,
    "expire": expire,
    "notify_expired": notify_expired,
    "record_failure": record_failure,
}
