"""Admin request bodies and the admin's view of a user."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pitchey.core.schemas import InputModel
from pitchey.users.models import User
from pitchey.users.schemas import user_view

REASON_MAX = 1000


class ModerationBody(InputModel):
    """suspend / ban / restore / grant-admin: an optional reason, kept in the audit log."""

    reason: str | None = Field(default=None, max_length=REASON_MAX)


def admin_user_view(user: User) -> dict[str, Any]:
    return {**user_view(user), "status": user.account_status, "isAdmin": bool(user.is_admin)}
