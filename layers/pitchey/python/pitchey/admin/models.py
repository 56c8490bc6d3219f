"""User reports on content (ReportsTable), listed by status for the moderators."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core import clock
from pitchey.core.config import table_name
from pitchey.core.models import TableMeta
from pitchey.users.models import User, user_view

TARGET_TYPES = ("pitch", "user", "message")
REPORT_STATUSES = ("open", "resolved")
RESOLUTIONS = ("dismiss", "hide", "ban")


class ReportsByStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "byStatus"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True, attr_name="createdAt")


class Report(Model):
    class Meta(TableMeta):
        table_name = table_name("REPORTS_TABLE", "ReportsTable")

    id = UnicodeAttribute(hash_key=True)
    reporter_id = UnicodeAttribute(attr_name="reporterId")
    target_type = UnicodeAttribute(attr_name="targetType")
    target_id = UnicodeAttribute(attr_name="targetId")
    # Whose content it is (the pitch's creator, the message's sender, the user): whom `ban` bans.
    target_owner_id = UnicodeAttribute(attr_name="targetOwnerId")
    reason = UnicodeAttribute()
    status = UnicodeAttribute(default="open")
    created_at = UnicodeAttribute(attr_name="createdAt")  # precise ISO: the byStatus sort key
    resolved_at = UnicodeAttribute(null=True, attr_name="resolvedAt")
    resolved_by = UnicodeAttribute(null=True, attr_name="resolvedBy")
    action = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)

    by_status = ReportsByStatus()


class BroadcastPage(Model):
    """One page of a broadcast's fan-out: (broadcast id, page number). Page 0 is written by the API; the
    table's stream runs each new page (pitchey.admin.service.fan_out_page), which notifies one page of
    users and writes the next page with the index cursor where it stopped, until no user is left."""

    class Meta(TableMeta):
        table_name = table_name("BROADCASTS_TABLE", "BroadcastsTable")

    id = UnicodeAttribute(hash_key=True)
    page = NumberAttribute(range_key=True)
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    created_at = UnicodeAttribute(attr_name="createdAt")  # precise: the notifications' createdAt
    created_by = UnicodeAttribute(attr_name="createdBy")
    cursor = JSONAttribute(null=True)  # the byCreated LastEvaluatedKey this page starts after
    delivered = NumberAttribute(null=True)
    ttl = NumberAttribute(null=True)


def admin_user_view(user: User) -> dict[str, Any]:
    return {**user_view(user), "status": user.account_status, "isAdmin": bool(user.is_admin)}


def report_view(report: Report) -> dict[str, Any]:
    return {
        "id": report.id,
        "reporterId": report.reporter_id,
        "targetType": report.target_type,
        "targetId": report.target_id,
        "targetOwnerId": report.target_owner_id,
        "reason": report.reason,
        "status": report.status,
        "createdAt": seconds(report.created_at),
        "resolvedAt": seconds(report.resolved_at),
        "resolvedBy": report.resolved_by,
        "action": report.action,
        "note": report.note,
    }


def seconds(timestamp: str | None) -> str | None:
    return clock.iso(clock.from_iso(timestamp)) if timestamp else None
