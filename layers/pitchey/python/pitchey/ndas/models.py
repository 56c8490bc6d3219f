"""The Ndas table (read model of the NDA workflow) and the one-open-NDA claim in UniqueKeysTable.

Every status change goes through the lifecycle's table and one conditional write or transaction that
claims the edge (lifecycle.py, core.workflow), so two actors can never both move one NDA.
Access patterns: docs/data-model.md ("Ndas").
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core import clock
from pitchey.core.config import table_name
from pitchey.core.models import TableMeta

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

    # The claims of the two waits (core.workflow): the state the API (or the timeout) moved the NDA to,
    # written with the status; the workflow's token-storing and expiry steps read them.
    decision = UnicodeAttribute(null=True)
    signature = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True, attr_name="decidedAt")
    rejection_reason = UnicodeAttribute(null=True, attr_name="rejectionReason")

    signed_at = UnicodeAttribute(null=True, attr_name="signedAt")
    signer_name = UnicodeAttribute(null=True, attr_name="signerName")
    signer_ip = UnicodeAttribute(null=True, attr_name="signerIp")
    signer_user_agent = UnicodeAttribute(null=True, attr_name="signerUserAgent")
    revoked_at = UnicodeAttribute(null=True, attr_name="revokedAt")

    # Set at approval (#21): the creator's extra terms (in the document) and the access period, which
    # becomes accessExpiresAt = signedAt + accessDays days at signing; the workflow then expires the NDA.
    custom_terms = UnicodeAttribute(null=True, attr_name="customTerms")
    access_days = NumberAttribute(null=True, attr_name="accessDays")
    access_expires_at = UnicodeAttribute(null=True, attr_name="accessExpiresAt")
    # The requester's last reminder to the creator (at most one per 24 h, claimed by a conditional write).
    reminded_at = UnicodeAttribute(null=True, attr_name="remindedAt")

    # Server-side only, never serialized: Step Functions task tokens of the two waits.
    decision_task_token = UnicodeAttribute(null=True, attr_name="decisionTaskToken")
    signature_task_token = UnicodeAttribute(null=True, attr_name="signatureTaskToken")

    # Documents: random S3 keys (nothing in them is derived from ids), the approved text's SHA-256.
    document_key = UnicodeAttribute(null=True, attr_name="documentKey")
    agreement_key = UnicodeAttribute(null=True, attr_name="agreementKey")
    agreement_sha256 = UnicodeAttribute(null=True, attr_name="agreementSha256")
    signed_document_key = UnicodeAttribute(null=True, attr_name="signedDocumentKey")
    # SHA-256 of each stored PDF's bytes, for GET /api/ndas/{id}/verify (#21).
    document_sha256 = UnicodeAttribute(null=True, attr_name="documentSha256")
    signed_document_sha256 = UnicodeAttribute(null=True, attr_name="signedDocumentSha256")

    # Index keys derived from the fields above.
    creator_status = UnicodeAttribute(attr_name="creatorStatus")
    requester_status = UnicodeAttribute(attr_name="requesterStatus")

    # Set when a workflow step failed for good (the execution then fails too): {step, error, cause, at}.
    workflow_error = JSONAttribute(null=True, attr_name="workflowError")

    by_creator = ByCreator()
    by_creator_status = ByCreatorStatus()
    by_requester = ByRequester()
    by_requester_status = ByRequesterStatus()

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


def open_claim_key(pitch_id: str, requester_id: str) -> str:
    return f"nda-open#{pitch_id}#{requester_id}"


class OpenNdaClaim(Model):
    """`nda-open#<pitch>#<requester>` in UniqueKeysTable: written in the same transaction as a new NDA
    (attribute_not_exists), deleted in the transaction that makes it rejected/expired/revoked.

    It is also the requester's access grant, keyed so that a pitch read can fetch it beside the pitch in
    one BatchGetItem: signing sets `accessGrantedAt` (and `accessEndsAt`, epoch seconds, when the approval
    set an access period) in the transaction that makes the NDA signed; revocation and expiry delete it."""

    class Meta(TableMeta):
        table_name = table_name("UNIQUE_KEYS_TABLE", "UniqueKeysTable")

    key = UnicodeAttribute(hash_key=True)
    nda_id = UnicodeAttribute(attr_name="ndaId")
    created_at = UnicodeAttribute(attr_name="createdAt")
    access_granted_at = UnicodeAttribute(null=True, attr_name="accessGrantedAt")
    access_ends_at = NumberAttribute(null=True, attr_name="accessEndsAt")

    def grants_access(self, now: int) -> bool:
        """Signed, and (with an access period) before its end: the read side closes access on time even
        while the workflow's expiry step is still on its way."""
        if self.access_granted_at is None:
            return False
        return self.access_ends_at is None or now < self.access_ends_at


class NdaTemplate(Model):
    """A creator's own NDA template (the standard ones are code: standard_templates.py). Keyed by owner, so
    a GetItem with the caller's id finds only the caller's templates: anyone else's id is simply absent."""

    class Meta(TableMeta):
        table_name = table_name("NDA_TEMPLATES_TABLE", "NdaTemplatesTable")

    owner_id = UnicodeAttribute(hash_key=True, attr_name="ownerId")
    id = UnicodeAttribute(range_key=True)  # new_id(): newest last in the owner's partition
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    body = UnicodeAttribute()
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    version = NumberAttribute(default=1)  # moved on by every edit (ADD), shown to nobody
