"""Builds a user's data export: one JSON file per area (profile, sessions, pitches, ...) in a zip, stored
encrypted under a random key in the private exports bucket; GET hands out a 15-minute URL.

Items come from pitchey.privacy.gather (the registry's Queries). Secrets (password and token hashes, MFA
keys, workflow task tokens) never leave; in items where the user is the other party (an NDA on their pitch,
a follower) the owner's personal fields are left out."""

from __future__ import annotations

import html
import io
import json
import zipfile
from collections import defaultdict
from typing import Any

from pitchey.core import audit, clock, documents
from pitchey.core.log import logger
from pitchey.core.settings import settings
from pitchey.privacy import gather, store
from pitchey.privacy.models import Export
from pitchey.privacy.registry import PERSONAL_FIELDS, SECRET_FIELDS, table


def _clean(logical_id: str, item: dict[str, Any], own: bool) -> dict[str, Any]:
    drop = SECRET_FIELDS | table(logical_id).others_fields | (frozenset() if own else PERSONAL_FIELDS)
    return {name: value for name, value in store.plain(item).items() if name not in drop}


def _conversation(item: dict[str, Any], user_id: str) -> dict[str, Any]:
    """A conversation with the other participants' names left out (their ids and roles stay)."""
    plain = _clean("ConversationsTable", item, True)
    plain["participants"] = [
        p if p.get("userId") == user_id else {k: v for k, v in p.items() if k != "username"}
        for p in plain.get("participants") or []
    ]
    return plain


OTHER_USER = "another user"


def _redact_others(areas: dict[str, dict[str, list[dict[str, Any]]]], user_id: str) -> None:
    """Notifications quoting another user's name (messages, new followers, NDA requests), and the emails
    made of them, say "another user" instead: the copy must not disclose other people's data (GDPR
    Art. 15(4)). The names are those of the notifications' actors."""
    notifications = areas["notifications"]["NotificationsTable"]
    names: set[str] = set()
    for actor in {item.pop("actorId", None) for item in notifications} - {None, user_id}:
        other = store.plain(store.get(table("UsersTable").name, {"id": actor}) or {})
        full = " ".join(p for p in (other.get("firstName"), other.get("lastName")) if p)
        for name in (other.get("username"), full, other.get("companyName")):
            if name:
                names |= {name, html.escape(name)}
    emails = areas["emails"]["EmailOutboxTable"]
    for item, fields in [(n, ("title", "body", "data")) for n in notifications] + [
        (e, ("subject", "text", "html")) for e in emails
    ]:
        for name in sorted(names, key=len, reverse=True):
            for field in fields:
                if isinstance(item.get(field), str):
                    item[field] = item[field].replace(name, OTHER_USER)


def collect(user_id: str) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """{area: {table: [items]}} for the user."""
    areas: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    user = store.get(table("UsersTable").name, {"id": user_id})
    if user is None:
        return {}
    profile = store.plain(user)

    def add(logical_id: str, items: Any, own: bool = True) -> None:
        entry = table(logical_id)
        for item in items:
            if item:
                areas[entry.area or "other"][logical_id].append(_clean(logical_id, item, own))

    seen: set[tuple[str, str]] = set()
    for logical_id, own, item in gather.indexed(profile, for_export=True):
        fingerprint = (logical_id, json.dumps(store.plain(item), sort_keys=True, default=str))
        if fingerprint not in seen:  # e.g. an NDA the user requested on their own pitch: found twice
            seen.add(fingerprint)
            add(logical_id, [item], own)

    pitch_ids = gather.own_ids(user_id, "PitchesTable", "creatorId", "byCreator")
    add("PitchHistoryTable", gather.pitch_history(pitch_ids))
    add("InvestmentsTable", gather.pitch_investments(pitch_ids), own=False)
    add("ProjectItemsTable", gather.project_items(user_id))
    add("UniqueKeysTable", [gather.email_claim(profile)])
    add("DigestQueueTable", gather.digest_entries(user_id))
    add("RealtimeStateTable", [gather.presence(user_id)])
    connections = list(store.query(table("ConnectionsTable").name, "userId", user_id, "byUser"))
    add("ChannelSubscriptionsTable", gather.channel_subscriptions(connections))
    areas["messages"]["ConversationsTable"] = [
        _conversation(c, user_id) for c in gather.conversations(user_id)
    ]
    messages = list(gather.sent_messages(user_id))
    add("MessagesTable", messages)
    add("MessageAttachmentsTable", gather.attachments(messages))
    _redact_others(areas, user_id)
    return {area: dict(tables) for area, tables in areas.items()}


def zip_bytes(user_id: str, areas: dict[str, dict[str, list[dict[str, Any]]]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = {
            "userId": user_id,
            "generatedAt": clock.iso(),
            "files": {f"{area}.json": sorted(tables) for area, tables in sorted(areas.items())},
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
        for area, tables in sorted(areas.items()):
            archive.writestr(f"{area}.json", json.dumps(tables, indent=2, sort_keys=True, default=str))
    return buffer.getvalue()


def build(export_id: str) -> None:
    """Build the export `export_id` (from its stream record) and mark it ready."""
    try:
        job = Export.get(export_id, consistent_read=True)
    except Export.DoesNotExist:
        return
    if job.status == "ready":
        return
    body = zip_bytes(job.user_id, collect(job.user_id))
    key = f"{documents.new_prefix('export')}/export.zip"
    documents.put(settings().privacy_exports_bucket, key, body, "application/zip")
    job.update(
        actions=[Export.status.set("ready"), Export.object_key.set(key), Export.ready_at.set(clock.iso())]
    )
    audit.record(
        "privacy.export_ready",
        actor_id=job.user_id,
        target_type="user",
        target_id=job.user_id,
        details={"exportId": export_id, "bytes": len(body)},
    )
    logger.info("export built", extra={"export_id": export_id, "bytes": len(body)})
