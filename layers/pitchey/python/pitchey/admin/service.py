"""Administration: the user list and moderation (suspend, ban, restore, grant-admin).

Suspending or banning writes the user's status first, then revokes every live session (each request
checks its session, so every route refuses at once) and closes every open WebSocket through the
management API. Login refuses a closed account (403) and re-checks the status after writing its session,
so a login racing a suspension cannot keep a session. Every action is in the audit log.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from pitchey.admin.schemas import ModerationBody, admin_user_view
from pitchey.auth import service as auth
from pitchey.core import audit, clock
from pitchey.core.caller import Caller
from pitchey.core.db import Page, PageRequest, query_page
from pitchey.core.errors import Conflict, NotFound, ValidationFailed
from pitchey.realtime import service as realtime
from pitchey.users import service as users
from pitchey.users.models import DIRECTORY, STATUSES, User

Q_MAX = 100
# action → the status it sets (None: the admin flag instead)
MODERATION = {"suspend": "suspended", "ban": "banned", "restore": "active", "grant-admin": None}


def list_users(q: str | None, status: str | None, page: PageRequest) -> Page[dict[str, Any]]:
    """Newest first, from the byCreated index (one constant partition); q and status are filters."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed.field("status", f"status must be one of {', '.join(STATUSES)}")
    needle = (q or "").strip().casefold()
    if len(needle) > Q_MAX:
        raise ValidationFailed.field("q", f"q must be at most {Q_MAX} characters")
    condition = None
    if needle:
        condition = User.search_text.contains(needle)
    if status == "active":
        status_condition = User.status.does_not_exist() | (User.status == "active")
    elif status:
        status_condition = User.status == status
    else:
        status_condition = None
    if status_condition is not None:
        condition = status_condition if condition is None else condition & status_condition
    result = query_page(
        User,
        lambda **paging: User.by_created.query(
            DIRECTORY, filter_condition=condition, scan_index_forward=False, **paging
        ),
        ("id", "directory", "createdAt"),
        page=page,
        scope=f"admin-users:{needle}:{status or ''}",
        filtered=condition is not None,
    )
    return result.map(admin_user_view)


def moderate(caller: Caller, user_id: str, action: str, body: ModerationBody) -> dict[str, Any]:
    if action not in MODERATION:
        raise NotFound(f"No such action: {action[:40]}")
    target = users.get_user(user_id)
    if target.id == caller.id:
        raise Conflict("Administrators cannot moderate their own account", code="CANNOT_MODERATE_SELF")
    status = MODERATION[action]
    details: dict[str, Any] = {"reason": body.reason} if body.reason else {}
    if status is None:
        _update(target, User.is_admin.set(True))
    else:
        details["from"] = target.account_status
        _update(target, User.status.set(status))
        if status != "active":
            details["revokedSessions"] = auth.revoke_all_sessions(target.id)
            details["closedConnections"] = realtime.close_user_connections(target.id)
    audit.record(
        f"admin.user_{action.replace('-', '_')}",
        actor_id=caller.id,
        target_type="user",
        target_id=target.id,
        ip_address=caller.ip,
        user_agent=caller.user_agent,
        details=details,
    )
    return admin_user_view(users.get_user(target.id))


def _update(user: User, action: Any) -> None:
    try:
        user.update(actions=[action, User.updated_at.set(clock.iso())], condition=User.id.exists())
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise NotFound("User not found") from None
        raise
