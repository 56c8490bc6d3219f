"""Notifications persistence: a user's history, email preferences, the email outbox and digest queues.

The Notifications table's stream is what pushes each item to live WebSockets and routes it to email.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core import clock
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
    "project_update",
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


class ByActor(GlobalSecondaryIndex):
    """Sparse: notifications whose text names another user, by that user (pitchey.privacy erasure)."""

    class Meta:
        index_name = "byActor"
        projection = AllProjection()

    actor_id = UnicodeAttribute(hash_key=True, attr_name="actorId")
    sk = UnicodeAttribute(range_key=True)


# The data keys naming the user a notification's text quotes by name.
ACTOR_KEYS = ("senderId", "followerId")


class Notification(Model):
    class Meta(TableMeta):
        table_name = table_name("NOTIFICATIONS_TABLE", "NotificationsTable")

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    # "<createdAt precise>#<id>": newest first by ScanIndexForward=False. The id is time-ordered
    # (core.ids), which is how a notification is found again from its id alone (see inbox.find).
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    type = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    data = JSONAttribute(null=True)
    read = BooleanAttribute(default=False)
    read_at = UnicodeAttribute(null=True, attr_name="readAt")
    unread_user_id = UnicodeAttribute(null=True, attr_name="unreadUserId")
    created_at = UnicodeAttribute(attr_name="createdAt")
    # The user whose name the text quotes (messages, new followers): index byActor, for account erasure.
    actor_id = UnicodeAttribute(null=True, attr_name="actorId")

    unread_by_user = UnreadByUser()
    by_actor = ByActor()


class NotificationPreferences(Model):
    """Email frequency per category. Absent attributes mean the category's default."""

    class Meta(TableMeta):
        table_name = table_name("NOTIFICATION_PREFERENCES_TABLE", "NotificationPreferencesTable")

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    nda = UnicodeAttribute(null=True)
    investment = UnicodeAttribute(null=True)
    message = UnicodeAttribute(null=True)
    pitch = UnicodeAttribute(null=True)
    digest = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True, attr_name="updatedAt")


class PendingEmails(GlobalSecondaryIndex):
    """Sparse: only emails still to be (re)tried carry pendingQueue, ordered by when they are due."""

    class Meta:
        index_name = "pendingByDueTime"
        projection = AllProjection()

    pending_queue = UnicodeAttribute(hash_key=True, attr_name="pendingQueue")
    next_attempt_at = UnicodeAttribute(range_key=True, attr_name="nextAttemptAt")


class OutboxEmail(Model):
    """One email to send. Its stream INSERT triggers the first attempt; failures are retried by schedule."""

    class Meta(TableMeta):
        table_name = table_name("EMAIL_OUTBOX_TABLE", "EmailOutboxTable")

    id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # "instant" | "digest"
    user_id = UnicodeAttribute(attr_name="userId")
    to_email = UnicodeAttribute(attr_name="toEmail")
    from_email = UnicodeAttribute(attr_name="fromEmail")
    subject = UnicodeAttribute()
    text = UnicodeAttribute()
    html = UnicodeAttribute()
    notification_ids = ListAttribute(of=UnicodeAttribute, null=True, attr_name="notificationIds")
    status = UnicodeAttribute(default="pending")  # pending | sent | failed
    attempts = NumberAttribute(default=0)
    lease_until = NumberAttribute(null=True, attr_name="leaseUntil")
    pending_queue = UnicodeAttribute(null=True, attr_name="pendingQueue")
    next_attempt_at = UnicodeAttribute(null=True, attr_name="nextAttemptAt")
    last_error = UnicodeAttribute(null=True, attr_name="lastError")
    message_id = UnicodeAttribute(null=True, attr_name="messageId")
    created_at = UnicodeAttribute(attr_name="createdAt")
    sent_at = UnicodeAttribute(null=True, attr_name="sentAt")
    ttl = NumberAttribute(null=True)

    pending = PendingEmails()


class DigestEntry(Model):
    """A notification waiting for a daily or weekly digest, filed under the period bucket it arrived in,
    so a digest run Queries exactly the items due instead of scanning users."""

    class Meta(TableMeta):
        table_name = table_name("DIGEST_QUEUE_TABLE", "DigestQueueTable")

    bucket = UnicodeAttribute(hash_key=True)  # "daily#2026-01-31" | "weekly#2026-W05"
    sk = UnicodeAttribute(range_key=True)  # "<userId>#<notification sk>"
    user_id = UnicodeAttribute(attr_name="userId")
    notification_sk = UnicodeAttribute(attr_name="notificationSk")
    digested_at = UnicodeAttribute(null=True, attr_name="digestedAt")
    ttl = NumberAttribute()


def notification_view(notification: Notification) -> dict[str, Any]:
    """API.md's `notification`."""
    return {
        "id": notification.id,
        "type": notification.type,
        "title": notification.title,
        "body": notification.body,
        "data": notification.data or {},
        "read": bool(notification.read),
        "createdAt": clock.iso(clock.from_iso(notification.created_at)),
    }
