"""A user's notification history. The table's stream is what pushes each item to live WebSockets."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core.config import table_name
from pitchey.core.models import TableMeta

NOTIFICATION_TYPES = (
    "nda_request",
    "nda_approved",
    "nda_rejected",
    "nda_signed",
    "nda_expired",
    "investment_created",
    "investment_update",
    "pitch_update",
    "new_follower",
    "message",
    "payment",
    "system",
)


class UnreadByUser(GlobalSecondaryIndex):
    """Sparse: only unread notifications carry unreadUserId, so counting unread is one small Query."""

    class Meta:
        index_name = "unreadByUser"
        projection = AllProjection()

    unread_user_id = UnicodeAttribute(hash_key=True, attr_name="unreadUserId")
    sk = UnicodeAttribute(range_key=True)


class Notification(Model):
    class Meta(TableMeta):
        table_name = table_name("NOTIFICATIONS_TABLE", "NotificationsTable")

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    sk = UnicodeAttribute(
        range_key=True
    )  # "<createdAt precise>#<id>": newest first by ScanIndexForward=False
    id = UnicodeAttribute()
    type = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    data = JSONAttribute(null=True)
    read = BooleanAttribute(default=False)
    unread_user_id = UnicodeAttribute(null=True, attr_name="unreadUserId")
    created_at = UnicodeAttribute(attr_name="createdAt")

    unread_by_user = UnreadByUser()
