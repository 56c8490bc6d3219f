"""The NDA lifecycle as data: API.md's rules in one transition table, bound to the Ndas read model and
NdaStateMachine through core.workflow. The API's events (service.py) and the state machine's steps
(workflow.py) both go through FLOW; the one-open-NDA claim is written and released in the same transaction
as the status that takes or frees it.

    pending ─approve (creator)→ approved ─sign (requester)→ signed ─revoke (creator)→ revoked
       ├─reject (creator)→ rejected    └─expire (timeout)→ expired  └─expire (access period over)→ expired
       └─expire (timeout)→ expired
"""

from __future__ import annotations

from pitchey.core import clock
from pitchey.core.db import Transaction
from pitchey.core.settings import settings
from pitchey.core.workflow import SYSTEM, Build, Transitions, Wait, Workflow
from pitchey.ndas.models import (
    APPROVED,
    EXPIRED,
    PENDING,
    REJECTED,
    REVOKED,
    SIGNED,
    Nda,
    OpenNdaClaim,
    open_claim_key,
)

CREATOR, REQUESTER = "creator", "requester"
OPEN_CLAIM = "open-claim"  # the name of the claim's item in a transaction

TRANSITIONS = Transitions(
    [
        (PENDING, CREATOR, "approve", APPROVED),
        (PENDING, CREATOR, "reject", REJECTED),
        (PENDING, SYSTEM, "expire", EXPIRED),
        (APPROVED, REQUESTER, "sign", SIGNED),
        (APPROVED, SYSTEM, "expire", EXPIRED),
        (SIGNED, CREATOR, "revoke", REVOKED),
        (SIGNED, SYSTEM, "expire", EXPIRED),  # #21: the access period (accessDays) ended
    ],
    initial=PENDING,
    terminal={REJECTED, EXPIRED, REVOKED},
    subject="an NDA",
)

# The state machine names its two waits by stage (statemachines/nda.asl.json).
STAGES = {"decision": PENDING, "signature": APPROVED}

FLOW = Workflow(
    TRANSITIONS,
    Nda,
    waits=[
        Wait(PENDING, token=Nda.decision_task_token, outcome=Nda.decision),
        Wait(APPROVED, token=Nda.signature_task_token, outcome=Nda.signature),
    ],
    state_machine_arn=lambda: settings().require("nda_state_machine_arn"),
    id_key="ndaId",
    deadline=Nda.expires_at,
    failure=Nda.workflow_error,
    unavailable="NDA requests are unavailable right now, please retry",
)


def actor_of(nda: Nda, user_id: str) -> str | None:
    """The caller's part in this NDA; None for anyone else (who gets 404)."""
    return {nda.creator_id: CREATOR, nda.requester_id: REQUESTER}.get(user_id)


def take_open_claim(nda: Nda, created_at: str) -> Build:
    """With a new NDA: `nda-open#<pitch>#<requester>`, which only one open NDA can hold."""
    claim = OpenNdaClaim(open_claim_key(nda.pitch_id, nda.requester_id), nda_id=nda.id, created_at=created_at)

    def build(txn: Transaction) -> None:
        txn.put(OPEN_CLAIM, claim, condition=OpenNdaClaim.key.does_not_exist())

    return build


def grant_access(nda: Nda, ends_at: int | None) -> Build:
    """With the move to signed: the claim becomes the requester's access grant (ending at `ends_at`, epoch
    seconds, if the approval set an access period). Revocation and expiry end it with the claim."""
    claim = OpenNdaClaim(open_claim_key(nda.pitch_id, nda.requester_id))

    def build(txn: Transaction) -> None:
        actions = [
            OpenNdaClaim.nda_id.set(nda.id),
            OpenNdaClaim.created_at.set(OpenNdaClaim.created_at | clock.iso()),
            OpenNdaClaim.access_granted_at.set(clock.iso()),
        ]
        if ends_at is not None:
            actions.append(OpenNdaClaim.access_ends_at.set(ends_at))
        # A claim missing here (an NDA older than the claims) is written whole; another NDA's is refused.
        condition = OpenNdaClaim.key.does_not_exist() | (OpenNdaClaim.nda_id == nda.id)
        txn.update(OPEN_CLAIM, claim, actions, condition=condition)

    return build


def release_open_claim(nda: Nda) -> Build:
    """With a move to rejected/expired/revoked (or undoing a request): the requester may ask again exactly
    when, and only when, this NDA is closed."""
    claim = OpenNdaClaim(open_claim_key(nda.pitch_id, nda.requester_id))

    def build(txn: Transaction) -> None:
        condition = OpenNdaClaim.key.does_not_exist() | (OpenNdaClaim.nda_id == nda.id)
        txn.delete(OPEN_CLAIM, claim, condition=condition)

    return build
