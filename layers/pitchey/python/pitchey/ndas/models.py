"""The Ndas table (read model of the NDA workflow) and the one-open-NDA claim in UniqueKeysTable.

Every status change goes through a conditional write that names the edge it takes (see service.py and
workflow.py), so two actors can never both move one NDA. Access patterns: docs/data-model.md ("Ndas").
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from pitchey.core import clock
from pitchey.core.config import region, table_name
from pitchey.core.db import Transaction, TransactionCancelled
from pitchey.core.models import TableMeta
from pitchey.payments import service as payments

PENDING, APPROVED, REJECTED, SIGNED, EXPIRED, REVOKED = (
    "pending",
    "approved",
    "rejected",
    "signed",
    "expired",
    "revoked",
)
STATUSES = (PENDING, APPROVED, REJECTED, SIGNED, EXPIRED, REVOKED)
# Statuses that hold the `nda-open#<pitch>#<requester>` claim: while one exists, no new request.
OPEN_STATUSES = (PENDING, APPROVED, SIGNED)
NDA_TYPES = ("basic", "enhanced", "custom")
CONDITIONAL_FAILED = "ConditionalCheckFailedException"


# List indexes are keyed (<party or party#status>, id). Ids from `new_id()` start with the creation time,
# so the range key sorts by it: ScanIndexForward=False lists newest first.
class ByCreator(GlobalSecondaryIndex):
    class Meta:
        index_name = "byCreator"
        projection = AllProjection()

    creator_id = UnicodeAttribute(hash_key=True, attr_name="creatorId")
    id = UnicodeAttribute(range_key=True)


class ByCreatorStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "byCreatorStatus"
        projection = AllProjection()

    creator_status = UnicodeAttribute(hash_key=True, attr_name="creatorStatus")
    id = UnicodeAttribute(range_key=True)


class ByRequester(GlobalSecondaryIndex):
    class Meta:
        index_name = "byRequester"
        projection = AllProjection()

    requester_id = UnicodeAttribute(hash_key=True, attr_name="requesterId")
    id = UnicodeAttribute(range_key=True)


class ByRequesterStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "byRequesterStatus"
        projection = AllProjection()

    requester_status = UnicodeAttribute(hash_key=True, attr_name="requesterStatus")
    id = UnicodeAttribute(range_key=True)


class SignedAccess(GlobalSecondaryIndex):
    """Sparse: only a `signed` NDA carries accessKey = `<requesterId>#<pitchId>` (removed on revoke)."""

    class Meta:
        index_name = "signedAccess"
        projection = KeysOnlyProjection()

    access_key = UnicodeAttribute(hash_key=True, attr_name="accessKey")


class Nda(Model):
    class Meta(TableMeta):
        table_name = table_name("NDAS_TABLE", "NdasTable")

    id = UnicodeAttribute(hash_key=True)
    pitch_id = UnicodeAttribute(attr_name="pitchId")
    pitch_title = UnicodeAttribute(attr_name="pitchTitle")
    requester_id = UnicodeAttribute(attr_name="requesterId")
    requester_type = UnicodeAttribute(attr_name="requesterType")
    creator_id = UnicodeAttribute(attr_name="creatorId")
    status = UnicodeAttribute()
    nda_type = UnicodeAttribute(attr_name="ndaType")
    message = UnicodeAttribute(null=True)
    requested_at = UnicodeAttribute(attr_name="requestedAt")
    # Deadline of the wait the NDA is in (decision, then signature); None once nothing can expire.
    expires_at = UnicodeAttribute(null=True, attr_name="expiresAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")

    # The decision claim: written with the status by the API, forwarded to the workflow.
    decision = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True, attr_name="decidedAt")
    rejection_reason = UnicodeAttribute(null=True, attr_name="rejectionReason")

    signed_at = UnicodeAttribute(null=True, attr_name="signedAt")
    signer_name = UnicodeAttribute(null=True, attr_name="signerName")
    signer_ip = UnicodeAttribute(null=True, attr_name="signerIp")
    signer_user_agent = UnicodeAttribute(null=True, attr_name="signerUserAgent")
    revoked_at = UnicodeAttribute(null=True, attr_name="revokedAt")

    # Server-side only, never serialized: Step Functions task tokens of the two waits.
    decision_task_token = UnicodeAttribute(null=True, attr_name="decisionTaskToken")
    signature_task_token = UnicodeAttribute(null=True, attr_name="signatureTaskToken")

    # Documents: random S3 keys (nothing in them is derived from ids), the approved text's SHA-256.
    document_key = UnicodeAttribute(null=True, attr_name="documentKey")
    agreement_key = UnicodeAttribute(null=True, attr_name="agreementKey")
    agreement_sha256 = UnicodeAttribute(null=True, attr_name="agreementSha256")
    signed_document_key = UnicodeAttribute(null=True, attr_name="signedDocumentKey")

    # Index keys derived from the fields above.
    creator_status = UnicodeAttribute(attr_name="creatorStatus")
    requester_status = UnicodeAttribute(attr_name="requesterStatus")
    access_key = UnicodeAttribute(null=True, attr_name="accessKey")

    # Set when a workflow step failed for good (the execution then fails too): {step, error, cause, at}.
    workflow_error = JSONAttribute(null=True, attr_name="workflowError")

    by_creator = ByCreator()
    by_creator_status = ByCreatorStatus()
    by_requester = ByRequester()
    by_requester_status = ByRequesterStatus()
    signed_access = SignedAccess()

    def status_actions(self, status: str) -> list[Action]:
        """Update actions that move the NDA to `status`, keeping the status index keys in step."""
        return [
            Nda.status.set(status),
            Nda.creator_status.set(f"{self.creator_id}#{status}"),
            Nda.requester_status.set(f"{self.requester_id}#{status}"),
            Nda.updated_at.set(clock.iso()),
        ]

    @property
    def current_document_key(self) -> str | None:
        """The document a party may download now: the signed one once signed, else the approved one."""
        if self.status == SIGNED:
            return self.signed_document_key
        if self.status == APPROVED:
            return self.document_key
        return None


def access_key(requester_id: str, pitch_id: str) -> str:
    return f"{requester_id}#{pitch_id}"


def open_claim_key(pitch_id: str, requester_id: str) -> str:
    return f"nda-open#{pitch_id}#{requester_id}"


class OpenNdaClaim(Model):
    """`nda-open#<pitch>#<requester>` in UniqueKeysTable: written in the same transaction as a new NDA
    (attribute_not_exists), deleted in the transaction that makes it rejected/expired/revoked."""

    class Meta(TableMeta):
        table_name = table_name("UNIQUE_KEYS_TABLE", "UniqueKeysTable")

    key = UnicodeAttribute(hash_key=True)
    nda_id = UnicodeAttribute(attr_name="ndaId")
    created_at = UnicodeAttribute(attr_name="createdAt")


class TransitionRefused(Exception):
    """The NDA's conditional write failed: its state does not (or no longer) allow this edge."""


class ClaimTaken(Exception):
    """The requester already holds an open (pending/approved/signed) NDA for the pitch."""


def _connection() -> Connection:
    return Connection(region=region())


def create_with_claim(nda: Nda, created_at: str) -> None:
    """Write a new NDA, its `nda-open#<pitch>#<requester>` claim and the request's credits (payments' spend
    hook) in one transaction: 402 INSUFFICIENT_CREDITS when short, nothing charged when the claim is taken."""
    claim = OpenNdaClaim(open_claim_key(nda.pitch_id, nda.requester_id), nda_id=nda.id, created_at=created_at)

    def build(tx: Transaction) -> None:
        tx.put("nda", nda, Nda.id.does_not_exist())
        tx.put("claim", claim, OpenNdaClaim.key.does_not_exist())
        payments.charge(tx, payments.Payer(nda.requester_id, nda.requester_type), "nda_request", nda.id)

    try:
        payments.run_charged(build)
    except TransactionCancelled:
        raise ClaimTaken from None


def delete_with_claim(nda: Nda) -> None:
    """Undo `create_with_claim` (used when the workflow could not be started), credits included."""
    with TransactWrite(connection=_connection()) as transaction:
        transaction.delete(nda)
        transaction.delete(OpenNdaClaim(open_claim_key(nda.pitch_id, nda.requester_id)))
    payments.refund_charge(nda.requester_id, "nda_request", nda.id, nda.requester_type)


def apply_transition(nda: Nda, actions: list[Action], condition: Condition) -> None:
    """One conditional UpdateItem; `nda` is refreshed with the item as written (ALL_NEW)."""
    try:
        nda.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code == CONDITIONAL_FAILED:
            raise TransitionRefused from None
        raise


def apply_transition_releasing_claim(nda: Nda, actions: list[Action], condition: Condition) -> None:
    """Move to a closed status (rejected/expired/revoked) and delete the open-NDA claim in one transaction,
    so the requester may ask again exactly when, and only when, this NDA is closed."""
    claim = OpenNdaClaim(open_claim_key(nda.pitch_id, nda.requester_id))
    try:
        with TransactWrite(connection=_connection()) as transaction:
            transaction.update(nda, actions=actions, condition=condition)
            transaction.delete(
                claim, condition=OpenNdaClaim.key.does_not_exist() | (OpenNdaClaim.nda_id == nda.id)
            )
    except TransactWriteError as error:
        # PynamoDB sends condition checks, deletes, puts, then updates: the NDA's update is the last item.
        reasons = error.cancellation_reasons
        if reasons and reasons[-1] is not None and reasons[-1].code == "ConditionalCheckFailed":
            raise TransitionRefused from None
        raise
    nda.refresh(consistent_read=True)
