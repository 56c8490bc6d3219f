"""A user's notification history: list, read one, read all, count unread. Never another user's items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from pitchey.core import clock
from pitchey.core.db import Page, PageRequest, query_page
from pitchey.core.errors import NotFound
from pitchey.notifications.models import Notification, notification_view

# A notification id starts with its creation time in milliseconds (core.ids.new_id), written within
# microseconds of the createdAt that leads its sort key; this window absorbs any gap between the two.
ID_LOOKUP_WINDOW = timedelta(seconds=60)


def list_for_user(user_id: str, *, unread_only: bool, page: PageRequest) -> Page[dict[str, Any]]:
    """Newest first. One Query (on the sparse unread index when unread_only); the cursor is bound to the
    user and the filter so it cannot be replayed against another list."""
    query = Notification.unread_by_user.query if unread_only else Notification.query
    result = query_page(
        Notification,
        lambda **paging: query(user_id, scan_index_forward=False, **paging),
        ("userId", "sk", "unreadUserId") if unread_only else ("userId", "sk"),
        page=page,
        scope=f"notifications:{user_id}:{'unread' if unread_only else 'all'}",
    )
    return result.map(notification_view)


def find(user_id: str, notification_id: str) -> Notification:
    """The caller's notification with this id, or 404 (unknown ids and other users' ids alike).

    Found without a Scan or an extra index: the id's leading 12 hex digits are its creation time in ms,
    so one Query over a two-minute slice of the user's own partition holds it."""
    moment = _id_time(notification_id)
    if moment is None:
        raise NotFound("Notification not found")
    low = clock.iso_precise(moment - ID_LOOKUP_WINDOW)
    high = clock.iso_precise(moment + ID_LOOKUP_WINDOW)
    for item in Notification.query(
        user_id,
        Notification.sk.between(low, high),
        filter_condition=Notification.id == notification_id,
    ):
        return item
    raise NotFound("Notification not found")


def _id_time(notification_id: str) -> datetime | None:
    if len(notification_id) != 32:
        return None
    try:
        int(notification_id, 16)
        millis = int(notification_id[:12], 16)
        return datetime.fromtimestamp(millis / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _mark_read(item: Notification) -> bool:
    """True if this call marked it; False if it was already read (so racing calls count once)."""
    try:
        item.update(
            actions=[
                Notification.read.set(True),
                Notification.read_at.set(clock.iso()),
                Notification.unread_user_id.remove(),
            ],
            condition=Notification.sk.exists() & (Notification.read == False),  # noqa: E712 (DSL)
        )
        return True
    except UpdateError as error:
        if _condition_failed(error):
            return False
        raise


def mark_read(user_id: str, notification_id: str) -> dict[str, Any]:
    """Idempotent: reading a read notification answers the same."""
    item = find(user_id, notification_id)
    if not _mark_read(item):
        item.read = True
    return notification_view(item)


def mark_all_read(user_id: str) -> int:
    """Marks every unread notification of the user; returns how many this call marked. Each item is a
    conditional update, so two concurrent calls never both count the same notification."""
    marked = 0
    for item in Notification.unread_by_user.query(user_id):
        if _mark_read(item):
            marked += 1
    return marked


def unread_count(user_id: str) -> int:
    """Query with Select=COUNT on the sparse unread index (pages until done)."""
    return Notification.unread_by_user.count(user_id)


def _condition_failed(error: Exception) -> bool:
    cause = getattr(error, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"
