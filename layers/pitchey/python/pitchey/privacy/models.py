"""Export jobs: one item per request; its stream INSERT builds the zip (pitchey.privacy.export)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core.config import table_name
from pitchey.core.models import TableMeta

EXPORT_RETENTION_SECONDS = 7 * 24 * 3600  # the bucket's lifecycle rule deletes the zip after 7 days too


class ExportsByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "byUser"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    created_at = UnicodeAttribute(range_key=True, attr_name="createdAt")


class Export(Model):
    class Meta(TableMeta):
        table_name = table_name("EXPORTS_TABLE", "ExportsTable")

    id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(attr_name="userId")
    status = UnicodeAttribute(default="pending")  # pending | ready
    created_at = UnicodeAttribute(attr_name="createdAt")
    ready_at = UnicodeAttribute(null=True, attr_name="readyAt")
    object_key = UnicodeAttribute(null=True, attr_name="objectKey")  # random: says nothing about the user
    ttl = NumberAttribute()

    by_user = ExportsByUser()
