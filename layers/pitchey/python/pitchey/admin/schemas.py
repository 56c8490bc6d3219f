"""Admin request bodies and the admin's view of a user."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pitchey.admin.models import Report
from pitchey.core import clock
from pitchey.core.schemas import InputModel
from pitchey.users.models import User
from pitchey.users.schemas import user_view

REASON_MAX = 1000


class ModerationBody(InputModel):
    """suspend / ban / restore / grant-admin: an optional reason, kept in the audit log."""

    reason: str | None = Field(default=None, max_length=REASON_MAX)


def admin_user_view(user: User) -> dict[str, Any]:
    return {**user_view(user), "status": user.account_status, "isAdmin": bool(user.is_admin)}


class ReportBody(InputModel):
    target_type: Literal["pitch", "user", "message"]
    target_id: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=1, max_length=REASON_MAX)


class BroadcastBody(InputModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=2000)


class ResolveBody(InputModel):
    action: Literal["dismiss", "hide", "ban"]
    note: str | None = Field(default=None, max_length=REASON_MAX)


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
