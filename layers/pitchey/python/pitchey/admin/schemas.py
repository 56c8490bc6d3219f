"""Admin request bodies (the admin's views of a user and a report are in admin.models)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pitchey.admin.models import admin_user_view as admin_user_view  # the views live with the models
from pitchey.admin.models import report_view as report_view
from pitchey.admin.models import seconds as seconds
from pitchey.core.schemas import InputModel

REASON_MAX = 1000


class ModerationBody(InputModel):
    """suspend / ban / restore / grant-admin: an optional reason, kept in the audit log."""

    reason: str | None = Field(default=None, max_length=REASON_MAX)


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
