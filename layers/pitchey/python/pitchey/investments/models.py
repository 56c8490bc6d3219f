"""The Investments table as far as other contexts read it. The investments work owns and extends it."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core.config import table_name
from pitchey.core.models import TableMeta

# Statuses in which an investment is still in play (everything else is terminal).
OPEN_STATUSES = ("pending", "due_diligence", "negotiation", "committed", "active")


class InvestmentsByPitch(GlobalSecondaryIndex):
    class Meta:
        index_name = "byPitch"
        projection = AllProjection()

    pitch_id = UnicodeAttribute(hash_key=True, attr_name="pitchId")
    created_at = UnicodeAttribute(range_key=True, attr_name="createdAt")


class Investment(Model):
    class Meta(TableMeta):
        table_name = table_name("INVESTMENTS_TABLE", "InvestmentsTable")

    id = UnicodeAttribute(hash_key=True)
    pitch_id = UnicodeAttribute(attr_name="pitchId")
    investor_id = UnicodeAttribute(attr_name="investorId")
    creator_id = UnicodeAttribute(attr_name="creatorId")
    amount_cents = NumberAttribute(attr_name="amountCents")
    currency = UnicodeAttribute(default="USD")
    status = UnicodeAttribute()
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")

    by_pitch = InvestmentsByPitch()
