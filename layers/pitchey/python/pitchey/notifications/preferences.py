"""Email preferences per category, and which category (if any) a notification type belongs to."""

from __future__ import annotations

from typing import Any

from pitchey.core import clock
from pitchey.notifications.models import NotificationPreferences

CATEGORIES = ("nda", "investment", "message", "pitch", "digest")
FREQUENCIES = ("instant", "daily", "weekly", "never")
DEFAULTS = {
    "nda": "instant",
    "investment": "instant",
    "message": "instant",
    "pitch": "daily",
    "digest": "weekly",
}


def category_of(notification_type: str) -> str | None:
    """The preference category of a notification type; None for types always emailed at once."""
    if notification_type.startswith("nda_"):
        return "nda"
    if notification_type.startswith("investment_"):
        return "investment"
    if notification_type == "message":
        return "message"
    if notification_type in ("pitch_update", "new_follower", "project_update"):
        return "pitch"
    return None  # payment, system


def _merged(item: NotificationPreferences | None) -> dict[str, str]:
    stored = {name: getattr(item, name) for name in CATEGORIES} if item else {}
    return {name: stored.get(name) or DEFAULTS[name] for name in CATEGORIES}


def email_preferences(user_id: str) -> dict[str, str]:
    try:
        return _merged(NotificationPreferences.get(user_id))
    except NotificationPreferences.DoesNotExist:
        return dict(DEFAULTS)


def get_preferences(user_id: str) -> dict[str, Any]:
    return {"email": email_preferences(user_id)}


def update_preferences(user_id: str, changes: dict[str, str]) -> dict[str, Any]:
    """Merges: one UpdateItem sets only the categories sent, so concurrent PUTs of different categories
    both stick and nothing is read first."""
    if not changes:
        return get_preferences(user_id)
    item = NotificationPreferences(user_id)
    actions = [getattr(NotificationPreferences, name).set(value) for name, value in changes.items()]
    actions.append(NotificationPreferences.updated_at.set(clock.iso()))
    item.update(actions=actions)  # ALL_NEW refreshes the item
    return {"email": _merged(item)}
