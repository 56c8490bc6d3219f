"""`notify` is the one way any context tells a user something.

It writes the notification to the user's history; the Notifications table's stream then pushes it to every
live WebSocket of the user (and email follows the user's preferences), so nothing is lost when they are
offline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from pitchey.core import clock
from pitchey.core.db import Transaction
from pitchey.core.ids import new_id
from pitchey.notifications.models import ACTOR_KEYS, NOTIFICATION_TYPES, Notification


def _new_notification(
    user_id: str,
    type: str,
    title: str,
    body: str,
    data: dict[str, Any] | None,
    stable: tuple[str, str] | None = None,
    actor_id: str | None = None,
) -> Notification:
    """`stable` = (source id, its precise createdAt): the same key for the same user and source, so a
    re-run of a fan-out overwrites its notification instead of adding a second one. `actor_id`: the user
    the text names (default: the data's sender/follower), so account erasure can find the text."""
    if type not in NOTIFICATION_TYPES:
        raise ValueError(f"unknown notification type {type}")
    if stable is None:
        created_at, notification_id = clock.iso_precise(), new_id()
    else:
        source_id, created_at = stable
        digest = hashlib.sha256(f"{source_id}|{user_id}".encode()).hexdigest()[:20]
        notification_id = f"{source_id[:12]}{digest}"  # keeps new_id's time-ordered prefix
    return Notification(
        user_id,
        f"{created_at}#{notification_id}",
        id=notification_id,
        type=type,
        title=title,
        body=body,
        data=data or {},
        read=False,
        unread_user_id=user_id,
        created_at=created_at,
        actor_id=actor_id or next((data[key] for key in ACTOR_KEYS if data and data.get(key)), None),
    )


def notify(
    user_id: str,
    type: str,
    title: str,
    body: str,
    data: dict[str, Any] | None = None,
    *,
    actor_id: str | None = None,
) -> Notification:
    notification = _new_notification(user_id, type, title, body, data, actor_id=actor_id)
    notification.save()
    return notification


def notify_in(
    tx: Transaction, user_id: str, type: str, title: str, body: str, data: dict[str, Any] | None = None
) -> Notification:
    """`notify` as part of the caller's transaction: the notification exists only if the rest commits."""
    notification = _new_notification(user_id, type, title, body, data)
    tx.put("notification", notification)
    return notification


def notify_many(
    user_ids: Iterable[str],
    type: str,
    title: str,
    body: str,
    data: dict[str, Any] | None = None,
    *,
    stable: tuple[str, str] | None = None,
) -> int:
    """`notify` for a crowd (e.g. a pitch's followers): one item per distinct user, written with
    BatchWriteItem (25 per call, unprocessed items retried by PynamoDB). Returns how many were written.
    `stable`: see _new_notification (a broadcast's fan-out may run a page twice)."""
    recipients = list(dict.fromkeys(user_ids))  # distinct, in order
    items = [_new_notification(user_id, type, title, body, data, stable) for user_id in recipients]
    with Notification.batch_write() as batch:
        for item in items:
            batch.save(item)
    return len(recipients)


def send_account_email(email_id: str, user: Any, subject: str, intro: str, link: str | None = None) -> None:
    """A transactional mail about the account itself (verification, password reset), through the outbox.
    `user` is a pitchey.users.models.User; `email_id` must be unique (e.g. the token's id)."""
    from pitchey.notifications import emails  # only the functions that send account mail load templates

    emails.enqueue_account(email_id, user, subject, intro, link)
