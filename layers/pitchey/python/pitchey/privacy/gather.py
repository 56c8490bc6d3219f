"""Everything stored about one user, table by table, as the registry says where it is: the export's
content and the erasure's work list. Only Queries and GetItems on keys that name the user (no Scan)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pitchey.core import clock
from pitchey.privacy import store
from pitchey.privacy.registry import TABLES, table
from pitchey.users.models import email_digest, normalize_email

DIGEST_DAYS = 35  # digest entries live 35 days (notifications' DigestQueue TTL)


def values_for(user: dict[str, Any]) -> dict[str, str]:
    email = user.get("email", "")
    return {"user_id": user["id"], "email": normalize_email(email), "email_digest": email_digest(email)}


def indexed(user: dict[str, Any], *, for_export: bool) -> Iterator[tuple[str, bool, dict[str, Any]]]:
    """(table, own, raw item) for every registry `find` rule; `own` False: the user is the other party."""
    values = values_for(user)
    for entry in TABLES:
        for rule in entry.find:
            if for_export and not rule.export:
                continue
            for item in store.find(entry, rule, values):
                yield entry.logical_id, rule.own, item


def own_ids(user_id: str, logical_id: str, attribute: str, index: str, id_attribute: str = "id") -> list[str]:
    entry = table(logical_id)
    return [item[id_attribute]["S"] for item in store.query(entry.name, attribute, user_id, index)]


def pitch_history(pitch_ids: list[str]) -> Iterator[dict[str, Any]]:
    for pitch_id in pitch_ids:
        yield from store.query(table("PitchHistoryTable").name, "pitchId", pitch_id)


def pitch_investments(pitch_ids: list[str]) -> Iterator[dict[str, Any]]:
    for pitch_id in pitch_ids:
        yield from store.query(table("InvestmentsTable").name, "pitchId", pitch_id, "byPitch")


def project_items(user_id: str) -> Iterator[dict[str, Any]]:
    ids = set(own_ids(user_id, "ProjectsTable", "companyId", "byCompany"))
    ids |= set(own_ids(user_id, "ProjectsTable", "creatorId", "byCreator"))
    for project_id in sorted(ids):
        yield from store.query(table("ProjectItemsTable").name, "projectId", project_id)


def conversation_ids(user_id: str) -> list[str]:
    members = store.query(table("ConversationMembersTable").name, "userId", user_id)
    return [item["conversationId"]["S"] for item in members]


def conversations(user_id: str) -> Iterator[dict[str, Any]]:
    for conversation_id in conversation_ids(user_id):
        item = store.get(table("ConversationsTable").name, {"id": conversation_id})
        if item:
            yield item


def sent_messages(user_id: str) -> Iterator[dict[str, Any]]:
    """The user's own messages (Query per conversation, filtered on the sender)."""
    for conversation_id in conversation_ids(user_id):
        yield from store.query(
            table("MessagesTable").name,
            "conversationId",
            conversation_id,
            filter_equals=("senderId", user_id),
        )


def attachments(messages: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for message in messages:
        for attachment in store.plain(message).get("attachments") or []:
            item = store.get(table("MessageAttachmentsTable").name, {"id": attachment["id"]})
            if item:
                yield item


def digest_buckets(now: datetime | None = None) -> list[str]:
    """The DigestQueue partitions that can still hold entries (names as pitchey.notifications.digest)."""
    now = now or clock.now()
    days = [now - timedelta(days=back) for back in range(DIGEST_DAYS + 1)]
    weeks = {"weekly#{}-W{:02d}".format(*day.isocalendar()[:2]) for day in days}
    return [f"daily#{day:%Y-%m-%d}" for day in days] + sorted(weeks)


def digest_entries(user_id: str) -> Iterator[dict[str, Any]]:
    name = table("DigestQueueTable").name
    for bucket in digest_buckets():
        yield from store.query(name, "bucket", bucket, begins_with=("sk", f"{user_id}#"))


def email_claim(user: dict[str, Any]) -> dict[str, Any] | None:
    item = store.get(table("UniqueKeysTable").name, {"key": f"email#{values_for(user)['email']}"})
    return item if item and item.get("userId", {}).get("S") == user["id"] else None


def presence(user_id: str) -> dict[str, Any] | None:
    return store.get(table("RealtimeStateTable").name, {"key": f"presence#{user_id}"})


def channel_subscriptions(connections: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for connection in connections:
        plain = store.plain(connection)
        for channel in plain.get("subscriptions") or []:
            item = store.get(
                table("ChannelSubscriptionsTable").name,
                {"channel": channel, "connectionId": plain["connectionId"]},
            )
            if item:
                yield item
