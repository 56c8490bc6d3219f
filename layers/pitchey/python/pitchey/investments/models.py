"""The Investments table (read model of the investment workflow), its history table and the one-open-
investment claim in UniqueKeysTable. Access patterns: docs/data-model.md ("Investments").

Status changes go through `pitchey.core.workflow` (lifecycle.FLOW): one transaction writes the status, the
timeline entry, the history item, the pitch's funding counters and (when the investment closes) the release
of its claim, so none of them can be seen without the others.
"""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core import clock
from pitchey.core.config import table_name
from pitchey.core.models import TableMeta
from pitchey.investments.lifecycle import STATUSES, TERMINAL

# Statuses in which an investment is still in play (everything else is terminal).
OPEN_STATUSES = tuple(status for status in STATUSES if status not in TERMINAL)


class InvestmentsByPitch(GlobalSecondaryIndex):
    class Meta:
        index_name = "byPitch"
        projection = AllProjection()

    pitch_id = UnicodeAttribute(hash_key=True, attr_name="pitchId")
    created_at = UnicodeAttribute(range_key=True, attr_name="createdAt")


class InvestmentsByInvestor(GlobalSecondaryIndex):
    class Meta:
        index_name = "byInvestor"
        projection = AllProjection()

    investor_id = UnicodeAttribute(hash_key=True, attr_name="investorId")
    created_at = UnicodeAttribute(range_key=True, attr_name="createdAt")


class TimelineEntry(MapAttribute):
    status = UnicodeAttribute()
    at = UnicodeAttribute()
    by_user_id = UnicodeAttribute(attr_name="byUserId")
    note = UnicodeAttribute(null=True)


class Investment(Model):
    class Meta(TableMeta):
        table_name = table_name("INVESTMENTS_TABLE", "InvestmentsTable")

    id = UnicodeAttribute(hash_key=True)
    pitch_id = UnicodeAttribute(attr_name="pitchId")
    pitch_title = UnicodeAttribute(attr_name="pitchTitle")
    investor_id = UnicodeAttribute(attr_name="investorId")
    creator_id = UnicodeAttribute(attr_name="creatorId")
    amount_cents = NumberAttribute(attr_name="amountCents")
    currency = UnicodeAttribute(default="USD")
    status = UnicodeAttribute()
    transaction_id = UnicodeAttribute(attr_name="transactionId")
    terms = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(attr_name="createdAt")  # microsecond ISO: a sort key
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    # Deadline of the current stage's wait (pending/due_diligence/negotiation); None in the other stages.
    expires_at = UnicodeAttribute(null=True, attr_name="expiresAt")
    timeline = ListAttribute(of=TimelineEntry, default=list)
    # How many timeline entries the workflow has told the other party about (its notify step).
    notified = NumberAttribute(default=0)

    # One wait per waiting stage: the Step Functions task token (server-side only) and the API's claim of the
    # stage's outcome (the next status), written with the status by the transition that leaves the stage.
    pending_token = UnicodeAttribute(null=True, attr_name="pendingToken")
    pending_outcome = UnicodeAttribute(null=True, attr_name="pendingOutcome")
    due_diligence_token = UnicodeAttribute(null=True, attr_name="dueDiligenceToken")
    due_diligence_outcome = UnicodeAttribute(null=True, attr_name="dueDiligenceOutcome")
    negotiation_token = UnicodeAttribute(null=True, attr_name="negotiationToken")
    negotiation_outcome = UnicodeAttribute(null=True, attr_name="negotiationOutcome")
    committed_token = UnicodeAttribute(null=True, attr_name="committedToken")
    committed_outcome = UnicodeAttribute(null=True, attr_name="committedOutcome")
    active_token = UnicodeAttribute(null=True, attr_name="activeToken")
    active_outcome = UnicodeAttribute(null=True, attr_name="activeOutcome")

    # The agreement PDF: a random S3 key, set by the workflow's document step.
    agreement_key = UnicodeAttribute(null=True, attr_name="agreementKey")
    # Set when a workflow step failed for good (the execution then fails too): {error, cause, at}.
    workflow_error = JSONAttribute(null=True, attr_name="workflowError")

    by_pitch = InvestmentsByPitch()
    by_investor = InvestmentsByInvestor()

    def status_actions(self, status: str) -> list:
        return [Investment.status.set(status), Investment.updated_at.set(clock.iso())]


class InvestmentEvent(Model):
    """One item per timeline entry, keyed for the investor's history: investorId + "<at precise>#<id>"."""

    class Meta(TableMeta):
        table_name = table_name("INVESTMENT_EVENTS_TABLE", "InvestmentEventsTable")

    investor_id = UnicodeAttribute(hash_key=True, attr_name="investorId")
    sk = UnicodeAttribute(range_key=True)
    investment_id = UnicodeAttribute(attr_name="investmentId")
    pitch_id = UnicodeAttribute(attr_name="pitchId")
    status = UnicodeAttribute()
    at = UnicodeAttribute()
    by_user_id = UnicodeAttribute(attr_name="byUserId")
    note = UnicodeAttribute(null=True)


def open_claim_key(pitch_id: str, investor_id: str) -> str:
    return f"investment-open#{pitch_id}#{investor_id}"


class OpenInvestmentClaim(Model):
    """`investment-open#<pitch>#<investor>` in UniqueKeysTable: put (attribute_not_exists) in the transaction
    that creates an investment, deleted in the transaction that makes it terminal."""

    class Meta(TableMeta):
        table_name = table_name("UNIQUE_KEYS_TABLE", "UniqueKeysTable")

    key = UnicodeAttribute(hash_key=True)
    investment_id = UnicodeAttribute(attr_name="investmentId")
    created_at = UnicodeAttribute(attr_name="createdAt")
