"""Daily and weekly digest emails.

When a notification's category is set to daily or weekly, the email router files a DigestEntry under the
period bucket it arrived in (`daily#2026-01-31`, `weekly#2026-W05`). A digest run Queries the recent
buckets of its period (never a Scan), groups entries by user and, per user, writes ONE outbox email and
marks the entries digested in the same transaction, each mark conditional on the entry not being digested
yet. A re-run, or a concurrent run, therefore finds nothing left to send: no item is ever sent twice.
Items the user has read in the meantime are marked without being sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from pitchey.core import clock
from pitchey.core.db import Transaction, TransactionCancelled, transact
from pitchey.core.ids import new_id
from pitchey.core.log import logger
from pitchey.notifications.emails import find_user, new_outbox_email, render_digest
from pitchey.notifications.models import DigestEntry, Notification

PERIODS = ("daily", "weekly")
# Buckets a run looks back over (the current one included), so a missed run is caught up by the next.
LOOKBACK = {"daily": 3, "weekly": 2}
ENTRY_RETENTION_SECONDS = 35 * 24 * 3600
MAX_LISTED = 50  # items spelled out in one email; the rest are counted ("and N more")
TRANSACTION_LIMIT = 100  # DynamoDB TransactWriteItems: the email plus up to 99 entries per transaction


def bucket(period: str, moment: datetime) -> str:
    if period == "daily":
        return f"daily#{moment:%Y-%m-%d}"
    year, week, _ = moment.isocalendar()
    return f"weekly#{year}-W{week:02d}"


def recent_buckets(period: str, now: datetime) -> list[str]:
    step = timedelta(days=1 if period == "daily" else 7)
    return [bucket(period, now - step * back) for back in range(LOOKBACK[period] - 1, -1, -1)]


def add_entry(period: str, notification: Notification) -> None:
    """File a notification for the next digest of `period`. Idempotent for a retried stream record."""
    entry = DigestEntry(
        bucket(period, clock.now()),
        f"{notification.user_id}#{notification.sk}",
        user_id=notification.user_id,
        notification_sk=notification.sk,
        ttl=clock.epoch() + ENTRY_RETENTION_SECONDS,
    )
    try:
        entry.save(condition=DigestEntry.bucket.does_not_exist())
    except PutError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise


def run(period: str, now: datetime | None = None) -> dict[str, int]:
    """One digest run for `period`; returns counts (emails queued, items sent, items skipped as read)."""
    if period not in PERIODS:
        raise ValueError(f"unknown digest period {period}")
    now = now or clock.now()
    stats = {"emails": 0, "items": 0, "skippedRead": 0}
    for name in recent_buckets(period, now):
        pending = DigestEntry.query(name, filter_condition=DigestEntry.digested_at.does_not_exist())
        for user_id, entries in groupby(pending, key=lambda entry: entry.user_id):
            _digest_user(period, user_id, list(entries), stats)
    logger.info("digest run", extra={"period": period, **stats})
    return stats


def _digest_user(period: str, user_id: str, entries: list[DigestEntry], stats: dict[str, int]) -> None:
    notifications = _load(user_id, [entry.notification_sk for entry in entries])
    unread = [
        (entry, notifications[entry.notification_sk])
        for entry in entries
        if entry.notification_sk in notifications and not notifications[entry.notification_sk].read
    ]
    user = find_user(user_id)
    if not unread or user is None:
        # Nothing to tell (all read, or the account is gone): mark the entries so no run looks again.
        stats["skippedRead"] += sum(_mark(entry) for entry in entries)
        return
    unread.sort(key=lambda pair: pair[1].sk, reverse=True)
    unread_entries = {id(entry) for entry, _ in unread}
    others = [entry for entry in entries if id(entry) not in unread_entries]
    listed = [notification for _, notification in unread[:MAX_LISTED]]
    rendered = render_digest(user, period, listed, more=len(unread) - len(listed))
    email = new_outbox_email(
        f"digest#{period}#{user_id}#{new_id()}",
        "digest",
        user,
        rendered,
        [notification.id for _, notification in unread],
    )
    # The email and the marks of its first entries commit together or not at all; a concurrent run that
    # marked any of them first makes this transaction fail, so that user's items go out once.
    first = [entry for entry, _ in unread[: TRANSACTION_LIMIT - 1]]

    def write(transaction: Transaction) -> None:
        transaction.put("email", email)  # a fresh id: nothing to collide with
        for entry in first:
            transaction.update(f"entry {entry.sk}", entry, _mark_actions(), condition=_unmarked())

    try:
        transact(write)
    except TransactionCancelled as cancelled:
        logger.info(
            "digest: entries taken by another run", extra={"user_id": user_id, "taken": cancelled.failed}
        )
        return
    stats["emails"] += 1
    stats["items"] += len(unread)
    # Items beyond one transaction were counted in the email ("and N more"); read ones were skipped.
    for entry, _ in unread[TRANSACTION_LIMIT - 1 :]:
        _mark(entry)
    stats["skippedRead"] += sum(_mark(entry) for entry in others)


def _load(user_id: str, sort_keys: Iterable[str]) -> dict[str, Notification]:
    keys = [(user_id, sk) for sk in dict.fromkeys(sort_keys)]
    return {item.sk: item for item in Notification.batch_get(keys)}


def _mark_actions() -> list[Any]:
    return [DigestEntry.digested_at.set(clock.iso())]


def _unmarked() -> Any:
    return DigestEntry.bucket.exists() & DigestEntry.digested_at.does_not_exist()


def _mark(entry: DigestEntry) -> int:
    try:
        entry.update(actions=_mark_actions(), condition=_unmarked())
        return 1
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return 0
        raise
