"""The steps of the NDA state machine (statemachines/nda.asl.json). Each is invoked as
`{"step": <name>, "ndaId": ..., ...}`; the lifecycle's rules (lifecycle.py) and the token/claim/expiry
handling (core.workflow) are shared with the API.

    NotifyCreator → WaitForDecision (token, timeout = request TTL) → DecisionOutcome
      approved → GenerateDocument → NotifyApproved → WaitForSignature (token, timeout = signature TTL)
                 → SignatureOutcome: signed → GenerateSignedDocument → OpenConversation (the parties'
                   pitch conversation, with a system message) → NotifySigned → Signed
      rejected → NotifyRejected → Rejected
      timeout  → ExpireRequest / ExpireSignature → expired → NotifyExpired → Expired
      signed with an access period (#21) → AccessTerm → WaitForAccessEnd (Wait, TimestampPath) →
                 ExpireAccess: expired → NotifyExpired → Expired; revoked first → Revoked

Waits store their task token on the NDA record. The API claims a decision/signature with a conditional
write and then resumes the wait with that token; if it wrote before the token was stored, the storing step
sees the claim and resumes the wait itself. A timeout racing a claim is settled by the expiry step's
condition: if the claim won, it reports the claimed outcome and the execution carries on from there.

Errors: `TransientError` (throttling, 5xx, connection trouble) is retried with backoff by the state machine;
anything else is caught, recorded on the NDA by `record_failure`, and fails the execution.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import datetime, timedelta
from typing import Any

from pitchey.core import audit, clock
from pitchey.core.config import region
from pitchey.core.settings import settings
from pitchey.core.workflow import SYSTEM, InvalidTransition, Step
from pitchey.ndas.lifecycle import FLOW, STAGES, release_open_claim
from pitchey.ndas.models import APPROVED, EXPIRED, PENDING, SIGNED, Nda
from pitchey.ndas.sources import load_party
from pitchey.notifications.service import notify


def _nda(event: dict[str, Any]) -> Nda:
    return FLOW.require(event["ndaId"])


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
    notify(nda.creator_id, "nda_request", "New NDA request", body, _data(nda), actor_id=nda.requester_id)
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
        actor_id=nda.requester_id,
    )
    notify(
        nda.requester_id,
        "nda_signed",
        "NDA signed: access granted",
        f'You signed the NDA for "{nda.pitch_title}". Its protected material is now open to you.',
        _data(nda),
    )
    return {}


def open_conversation(event: dict[str, Any]) -> dict[str, Any]:
    """After the signature: the parties' conversation about the pitch, opened (or continued) with a
    message from Pitchey. Once per NDA, however often Step Functions retries this step."""
    from pitchey.messages.service import post_system_message  # only this step needs messaging

    nda = _nda(event)
    if not nda.signed_at:
        raise ValueError(f"NDA {nda.id} is {nda.status}: not signed")
    message_id = post_system_message(
        nda.creator_id,
        nda.requester_id,
        nda.pitch_id,
        f'NDA signed: you can now discuss "{nda.pitch_title}" here.',
        purpose=f"nda-signed#{nda.id}",
    )
    return {"messageId": message_id}


def notify_expired(event: dict[str, Any]) -> dict[str, Any]:
    nda = _nda(event)
    if nda.signed_at:  # #21: the access period set at approval is over
        creator_body = (
            f'The access period of the signed NDA for "{nda.pitch_title}" has ended; access is closed.'
        )
        requester_body = (
            f'The access period of your NDA for "{nda.pitch_title}" has ended; its protected material is '
            "closed to you."
        )
    elif nda.decided_at:  # approved, never signed
        creator_body = f'The approved NDA for "{nda.pitch_title}" was not signed in time and has expired.'
        requester_body = f'Your approved NDA for "{nda.pitch_title}" was not signed in time and has expired.'
    else:
        creator_body = f'An NDA request for "{nda.pitch_title}" was not decided in time and has expired.'
        requester_body = f'Your NDA request for "{nda.pitch_title}" was not decided in time and has expired.'
    notify(nda.creator_id, "nda_expired", "NDA expired", creator_body, _data(nda))
    notify(nda.requester_id, "nda_expired", "NDA expired", requester_body, _data(nda))
    return {}


# --- waits -----------------------------------------------------------------------------------------------
def await_decision(event: dict[str, Any]) -> dict[str, Any]:
    FLOW.store_token(event["ndaId"], PENDING, event["taskToken"])
    return {}


def await_signature(event: dict[str, Any]) -> dict[str, Any]:
    FLOW.store_token(event["ndaId"], APPROVED, event["taskToken"])
    return {}


# --- expiry ----------------------------------------------------------------------------------------------
def expire(event: dict[str, Any]) -> dict[str, Any]:
    """A wait timed out. Expire the NDA (releasing the open-NDA claim) unless the API claimed the outcome
    just before: then report that outcome so the execution continues with it."""
    state = STAGES.get(event["stage"])
    if state is None:
        raise ValueError(f"unknown stage {event['stage']!r}")
    nda = _nda(event)
    outcome = FLOW.expire(nda.id, state, extra=release_open_claim(nda))
    if outcome == EXPIRED and nda.status != EXPIRED:  # not a retry of this step
        audit.record(
            "nda.expire",
            actor_id="system",
            target_type="nda",
            target_id=nda.id,
            details={"pitchId": nda.pitch_id, "stage": event["stage"], "at": clock.iso()},
        )
    return {"outcome": outcome}


# --- the access period (#21) ------------------------------------------------------------------------------
# A Standard execution lives at most a year; a longer access period continues in a new execution of the
# same state machine (named <ndaId>-access-<n>, input {"ndaId", "stage": "access"}) before that.
EXECUTION_SPAN = timedelta(days=360)
# A Wait may wake up to a second before its timestamp (whole seconds): waiting one second longer means the
# expiry step finds the end reached (access is never closed early, at most a second late).
SLACK = timedelta(seconds=1)


def _span_end(event: dict[str, Any]) -> datetime:
    return clock.from_iso(event["startedAt"]) + EXECUTION_SPAN


def access_term(event: dict[str, Any]) -> dict[str, Any]:
    """After signing: whether the NDA's access is limited, and until when this execution waits for its end
    (the Wait state's TimestampPath: the end itself, or the last moment this execution may wait)."""
    nda = _nda(event)
    if nda.status != SIGNED or not nda.access_expires_at:
        return {"limited": False, "waitUntil": None}
    until = min(clock.from_iso(nda.access_expires_at) + SLACK, _span_end(event))
    return {"limited": True, "waitUntil": clock.iso(until)}


def expire_access(event: dict[str, Any]) -> dict[str, Any]:
    """The wait for the end of access is over. Move signed → expired and release the open-NDA claim with
    the access grant it holds (reads already refuse a grant past its end), in one transaction conditional
    on `signed`: a revocation that came first wins and is reported as the outcome. If the end is still
    ahead, wait again here ("wait") or, past this execution's span, in a new execution ("continued")."""
    nda = _nda(event)
    if nda.status != SIGNED or not nda.access_expires_at:
        return {"outcome": nda.status}
    ends = clock.from_iso(nda.access_expires_at)
    if clock.now() < ends:
        if ends <= _span_end(event):
            return {"outcome": "wait"}
        _continue_in_new_execution(nda.id, event["execution"])
        return {"outcome": "continued"}
    try:
        FLOW.apply(nda, SYSTEM, "expire", extra=release_open_claim(nda))
    except InvalidTransition:  # revoked in the meantime: that stands
        return {"outcome": FLOW.require(nda.id).status}
    audit.record(
        "nda.expire",
        actor_id="system",
        target_type="nda",
        target_id=nda.id,
        details={"pitchId": nda.pitch_id, "stage": "access", "at": clock.iso()},
    )
    return {"outcome": EXPIRED}


def _continue_in_new_execution(nda_id: str, execution_name: str) -> None:
    import boto3  # only this rare step starts executions

    found = re.fullmatch(r".+-access-(\d+)", execution_name)
    name = f"{nda_id}-access-{int(found.group(1)) + 1 if found else 1}"
    client = boto3.client("stepfunctions", region_name=region())
    with contextlib.suppress(client.exceptions.ExecutionAlreadyExists):  # a retry of this step
        client.start_execution(
            stateMachineArn=settings().require("nda_state_machine_arn"),
            name=name,
            input=json.dumps({"ndaId": nda_id, "stage": "access"}),
        )


STEPS: dict[str, Step] = {
    "notify_request": notify_request,
    "await_decision": await_decision,
    "notify_approved": notify_approved,
    "notify_rejected": notify_rejected,
    "await_signature": await_signature,
    "notify_signed": notify_signed,
    "open_conversation": open_conversation,
    "expire": expire,
    "notify_expired": notify_expired,
    "access_term": access_term,
    "expire_access": expire_access,
    "record_failure": FLOW.record_failure,
}
