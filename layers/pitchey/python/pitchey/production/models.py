"""The Projects table, the per-project items (budget lines, expenses, history) and the live-project claim.

Access patterns: docs/data-model.md ("Projects", "ProjectItems").
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core.config import table_name
from pitchey.core.models import TableMeta

PROPOSED, DECLINED, ACTIVE, PAUSED, COMPLETED, CANCELLED = (
    "proposed",
    "declined",
    "active",
    "paused",
    "completed",
    "cancelled",
)
STATUSES = (PROPOSED, DECLINED, ACTIVE, PAUSED, COMPLETED, CANCELLED)
STAGES = ("development", "pre_production", "production", "post_production", "delivery", "release")
CATEGORIES = (
    "development",
    "cast",
    "crew",
    "locations",
    "equipment",
    "post_production",
    "marketing",
    "other",
)

# Item kinds in ProjectItemsTable (range key prefixes).
LINE, EXPENSE, HISTORY = "line#", "expense#", "history#"


# List indexes are keyed (<party>, id): ids from new_id() start with the creation time, newest first.
class ByCompany(GlobalSecondaryIndex):
    class Meta:
        index_name = "byCompany"
        projection = AllProjection()

    company_id = UnicodeAttribute(hash_key=True, attr_name="companyId")
    id = UnicodeAttribute(range_key=True)


class ByCreator(GlobalSecondaryIndex):
    class Meta:
        index_name = "byCreator"
        projection = AllProjection()

    creator_id = UnicodeAttribute(hash_key=True, attr_name="creatorId")
    id = UnicodeAttribute(range_key=True)


class Project(Model):
    class Meta(TableMeta):
        table_name = table_name("PROJECTS_TABLE", "ProjectsTable")

    id = UnicodeAttribute(hash_key=True)
    pitch_id = UnicodeAttribute(attr_name="pitchId")
    pitch_title = UnicodeAttribute(attr_name="pitchTitle")
    company_id = UnicodeAttribute(attr_name="companyId")
    creator_id = UnicodeAttribute(attr_name="creatorId")
    title = UnicodeAttribute()
    status = UnicodeAttribute()
    stage = UnicodeAttribute()
    budget_cents = NumberAttribute(attr_name="budgetCents")
    # Moved by atomic ADD in the transaction that records an expense.
    spent_cents = NumberAttribute(default=0, attr_name="spentCents")
    start_date = UnicodeAttribute(null=True, attr_name="startDate")
    target_release_date = UnicodeAttribute(null=True, attr_name="targetReleaseDate")
    message = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    # Every change is conditional on this: two racing edits never both apply.
    version = NumberAttribute(default=1)

    by_company = ByCompany()
    by_creator = ByCreator()


class ProjectItem(Model):
    """One project's budget lines (`line#<category>`, one per category: a put replaces it), expenses
    (`expense#<id>`) and history (`history#<at>#<id>`), all read by one Query on the project's partition."""

    class Meta(TableMeta):
        table_name = table_name("PROJECT_ITEMS_TABLE", "ProjectItemsTable")

    project_id = UnicodeAttribute(hash_key=True, attr_name="projectId")
    sk = UnicodeAttribute(range_key=True)
    category = UnicodeAttribute(null=True)
    planned_cents = NumberAttribute(null=True, attr_name="plannedCents")
    amount_cents = NumberAttribute(null=True, attr_name="amountCents")
    description = UnicodeAttribute(null=True)
    incurred_on = UnicodeAttribute(null=True, attr_name="incurredOn")
    actor_id = UnicodeAttribute(null=True, attr_name="actorId")
    changes = JSONAttribute(null=True)
    at = UnicodeAttribute()


def live_claim_key(company_id: str, pitch_id: str) -> str:
    return f"project-live#{company_id}#{pitch_id}"


class LiveProjectClaim(Model):
    """`project-live#<company>#<pitch>` in UniqueKeysTable: written (attribute_not_exists) with a new
    project, deleted in the transaction that makes it declined, completed or cancelled."""

    class Meta(TableMeta):
        table_name = table_name("UNIQUE_KEYS_TABLE", "UniqueKeysTable")

    key = UnicodeAttribute(hash_key=True)
    project_id = UnicodeAttribute(attr_name="projectId")
    created_at = UnicodeAttribute(attr_name="createdAt")
