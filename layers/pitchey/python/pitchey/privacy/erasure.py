"""Account erasure: what happens when a deletion's grace has passed (AccountErasureSchedule).

API.md: sessions gone, pitches archived, messages kept as from "deleted user", NDAs, investments and payments
kept as legal records without name, email or IP. Every step is a pass over the registry's Queries that
changes only what still needs changing, so a re-run (or a run after a crash half-way) finishes the work and
repeats nothing harmful. Each step is audited with counts only (no name, email or IP).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import UpdateError

from pitchey.core import audit, clock, documents
from pitchey.core.log import logger
from pitchey.core.settings import settings
from pitchey.follows import service as follows
from pitchey.payments import service as payments
from pitchey.pitches.models import Pitch
from pitchey.privacy import gather, store
from pitchey.privacy.registry import table
from pitchey.users.models import DELETION_QUEUE, User

DELETED_NAME = "deleted user"
ACTOR = "system:erasure"
AUTH_WINDOWS_BACK = 3  # per-IP auth counters live one 60 s window + 60 s: the current and two before


def deleted_email(user_id: str) -> str:
    """A non-identifying stand-in (email is required on a user); the real address is free again."""
    return f"deleted-{user_id}@deleted.invalid"


def run_due() -> dict[str, int]:
    """Erase every account whose deletion is due (Users pendingDeletion, scheduledAt <= now)."""
    now = clock.iso()
    due = User.pending_deletion.query(DELETION_QUEUE, User.deletion_scheduled_at <= now)
    erased = 0
    for user in due:
        if erase(user.id):
            erased += 1
    return {"erased": erased}


def _claim(user_id: str) -> User | None:
    """Mark the account deleted, if its deletion is (still) due: a login that cancelled it wins."""
    try:
        User(user_id).update(
            actions=[User.status.set("deleted")],
            condition=User.deletion_scheduled_at.exists() & (User.deletion_scheduled_at <= clock.iso()),
        )
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return None
        raise
    return User.get(user_id, consistent_read=True)


def erase(user_id: str) -> bool:
    user = _claim(user_id)
    if user is None:
        return False
    profile = store.plain(store.get(table("UsersTable").name, {"id": user_id}) or {})
    names = _names(profile)
    steps: list[tuple[str, Callable[[], int]]] = [
        ("sessions", lambda: _sessions(user_id)),
        ("exports", lambda: _exports(user_id)),
        ("email_claim", lambda: _email_claim(profile)),
        ("notifications", lambda: _own_notifications(user_id)),
        ("mentions", lambda: _mentions(user_id, names)),
        ("follows", lambda: _follows(user_id)),
        ("realtime", lambda: _realtime(user_id)),
        ("activity", lambda: _delete_found("ActivityFeedTable", user_id)),
        ("blocks", lambda: _blocks(user_id)),
        ("pitches", lambda: _pitches(user_id)),
        ("ndas", lambda: _ndas(user_id)),
        ("nda_templates", lambda: _delete_found("NdaTemplatesTable", user_id)),
        ("conversations", lambda: _conversations(user_id)),
        ("audit", lambda: _audit_entries(profile, names)),
        ("stripe_customer", lambda: payments.close_customer(user_id)),
        ("profile", lambda: _profile(user_id)),
    ]
    for name, step in steps:
        count = step()
        audit.record(
            f"account.erasure.{name}",
            actor_id=ACTOR,
            target_type="user",
            target_id=user_id,
            details={"count": count},
        )
    logger.info("account erased", extra={"user_id": user_id})
    return True


# --- helpers ------------------------------------------------------------------------------------------
def _names(profile: dict[str, Any]) -> set[str]:
    """How texts name the user: username, full name, company (as documents do: pitchey.users.service.party)
    and the names they signed NDAs with; raw and HTML-escaped."""
    full = " ".join(p for p in (profile.get("firstName"), profile.get("lastName")) if p)
    found = {profile.get("username"), full, profile.get("companyName")}
    for nda in store.query(table("NdasTable").name, "requesterId", profile.get("id", ""), "byRequester"):
        found.add(store.plain(nda).get("signerName"))
    found = {n for n in found if n and n.strip() and n != DELETED_NAME}
    return found | {html.escape(n) for n in found}


def _delete(logical_id: str, items: Any) -> int:
    name, count = table(logical_id).name, 0
    for item in items:
        store.client().delete_item(TableName=name, Key=store.key_of(name, item))
        count += 1
    return count


def _delete_found(logical_id: str, user_id: str) -> int:
    entry = table(logical_id)
    return sum(
        _delete(logical_id, list(store.find(entry, rule, {"user_id": user_id, "email": ""})))
        for rule in entry.find
    )


def _update(logical_id: str, item: dict[str, Any], set_values: dict[str, Any], remove: list[str]) -> None:
    """SET / REMOVE attributes on the item, if it still exists."""
    name = table(logical_id).name
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    parts = []
    for i, (attribute, value) in enumerate(set_values.items()):
        names[f"#s{i}"], values[f":s{i}"] = attribute, store.wire(value)
        parts.append(f"#s{i} = :s{i}")
    expression = f"SET {', '.join(parts)}" if parts else ""
    if remove:
        for i, attribute in enumerate(remove):
            names[f"#r{i}"] = attribute
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
    key = store.key_of(name, item)
    names["#key0"] = next(iter(key))
    params: dict[str, Any] = {
        "TableName": name,
        "Key": key,
        "UpdateExpression": expression.strip(),
        "ExpressionAttributeNames": names,
        "ConditionExpression": "attribute_exists(#key0)",
    }
    if values:
        params["ExpressionAttributeValues"] = values
    try:
        store.client().update_item(**params)
    except store.client().exceptions.ConditionalCheckFailedException:
        pass


def _scrub(text: str | None, names: set[str]) -> str | None:
    if text is None:
        return None
    for name in sorted(names, key=len, reverse=True):  # longest first: "Ann Lee" before "Ann"
        text = text.replace(name, DELETED_NAME)
    return text


# --- steps --------------------------------------------------------------------------------------------
def _sessions(user_id: str) -> int:
    return _delete_found("SessionsTable", user_id)


def _exports(user_id: str) -> int:
    items = list(store.query(table("ExportsTable").name, "userId", user_id, "byUser"))
    for item in items:
        key = store.plain(item).get("objectKey")
        if key:
            documents.delete(settings().privacy_exports_bucket, key)
    return _delete("ExportsTable", items)


def _email_claim(profile: dict[str, Any]) -> int:
    """The email claim (the address is free again), the login-lockout counter of the email and the per-IP
    auth counters of the IPs the user signed in from."""
    count = 0
    if profile.get("email") and not profile["email"].endswith("@deleted.invalid"):
        claim = gather.email_claim(profile)
        if claim:
            count += _delete("UniqueKeysTable", [claim])
        email = gather.values_for(profile)["email"]
        count += _delete_keys("RateLimitsTable", [{"key": f"login-fail#{email}"}])
    ips = {
        entry.get("ipAddress")
        for entry in map(store.plain, store.query(table("AuditLogTable").name, "actorId", profile["id"]))
    } - {None, ""}
    now = clock.epoch()
    windows = [now - now % 60 - 60 * back for back in range(AUTH_WINDOWS_BACK)]
    count += _delete_keys(
        "RateLimitsTable", [{"key": f"auth#{ip}#{w}"} for ip in sorted(ips) for w in windows]
    )
    return count


def _delete_keys(logical_id: str, keys: list[dict[str, Any]]) -> int:
    name, count = table(logical_id).name, 0
    for key in keys:
        answer = store.client().delete_item(
            TableName=name, Key={k: store.wire(v) for k, v in key.items()}, ReturnValues="ALL_OLD"
        )
        count += 1 if answer.get("Attributes") else 0
    return count


def _own_notifications(user_id: str) -> int:
    count = _delete(
        "NotificationsTable", list(store.query(table("NotificationsTable").name, "userId", user_id))
    )
    count += _delete_found("NotificationPreferencesTable", user_id)
    count += _delete("DigestQueueTable", list(gather.digest_entries(user_id)))
    return count + _delete(
        "EmailOutboxTable", list(store.query(table("EmailOutboxTable").name, "userId", user_id, "byUser"))
    )


def _mentions(user_id: str, names: set[str]) -> int:
    """Others' notifications (and their instant emails) that quote the user's name now say 'deleted user'."""
    found = list(store.query(table("NotificationsTable").name, "actorId", user_id, "byActor"))
    for raw in found:
        item = store.plain(raw)
        changes = {"title": _scrub(item.get("title"), names), "body": _scrub(item.get("body"), names)}
        data = json.loads(item["data"]) if isinstance(item.get("data"), str) else None  # a JSONAttribute
        if isinstance(data, dict) and "username" in data:
            changes["data"] = json.dumps({**data, "username": DELETED_NAME})
        _update("NotificationsTable", raw, changes, ["actorId"])
        email = store.get(table("EmailOutboxTable").name, {"id": f"notification#{item['id']}"})
        if email:
            mail = store.plain(email)
            fields = {f: _scrub(mail.get(f), names) for f in ("subject", "text", "html") if mail.get(f)}
            _update("EmailOutboxTable", email, fields, [])
    return len(found)


def _follows(user_id: str) -> int:
    """Both directions, through the follows service so the pitches' follower counters stay right."""
    count = 0
    for item in map(store.plain, store.query(table("FollowsTable").name, "followerId", user_id)):
        follows.unfollow(user_id, item["targetKey"].split("#", 1)[0], item["targetId"])
        count += 1
    for item in map(
        store.plain, store.query(table("FollowsTable").name, "targetKey", f"user#{user_id}", "byTarget")
    ):
        follows.unfollow(item["followerId"], "user", user_id)
        count += 1
    return count


def _realtime(user_id: str) -> int:
    connections = list(store.query(table("ConnectionsTable").name, "userId", user_id, "byUser"))
    count = _delete("ChannelSubscriptionsTable", list(gather.channel_subscriptions(connections)))
    count += _delete("ConnectionsTable", connections)
    return count + _delete_keys("RealtimeStateTable", [{"key": f"presence#{user_id}"}])


def _blocks(user_id: str) -> int:
    name = table("BlocksTable").name
    count = _delete("BlocksTable", list(store.query(name, "blockerId", user_id, "byBlocker")))
    for item in store.query(name, "blockedId", user_id, "byBlocked"):
        if store.plain(item).get("blockedUsername") != DELETED_NAME:
            _update("BlocksTable", item, {"blockedUsername": DELETED_NAME}, [])
            count += 1
    return count


def _pitches(user_id: str) -> int:
    """Archived and out of every browse index (a hidden pitch's moderation flag stays)."""
    count = 0
    for item in map(store.plain, store.query(table("PitchesTable").name, "creatorId", user_id, "byCreator")):
        if item.get("status") == "archived" and not item.get("pubKey"):
            continue
        Pitch(item["id"]).update(
            actions=[
                Pitch.status.set("archived"),
                Pitch.pub_key.remove(),
                Pitch.pub_genre.remove(),
                Pitch.pub_format.remove(),
                Pitch.pub_creator.remove(),
                Pitch.feat_rank.remove(),
                Pitch.updated_at.set(clock.iso()),
            ],
            condition=Pitch.id.exists(),
        )
        count += 1
    return count


SIGNER_FIELDS = ["signerName", "signerIp", "signerUserAgent"]


def _ndas(user_id: str) -> int:
    """Kept as legal records; the signature's name, IP and user agent (the requester's) go."""
    count = 0
    for item in store.query(table("NdasTable").name, "requesterId", user_id, "byRequester"):
        if any(field in item for field in SIGNER_FIELDS):
            _update("NdasTable", item, {}, SIGNER_FIELDS)
            count += 1
    return count


def _conversations(user_id: str) -> int:
    count = 0
    for raw in gather.conversations(user_id):
        participants = store.plain(raw).get("participants") or []
        if not any(p.get("userId") == user_id and p.get("username") != DELETED_NAME for p in participants):
            continue
        renamed = [{**p, "username": DELETED_NAME} if p.get("userId") == user_id else p for p in participants]
        _update("ConversationsTable", raw, {"participants": renamed}, [])
        count += 1
    return count


def _audit_entries(profile: dict[str, Any], names: set[str]) -> int:
    """Kept; the user's own entries lose IP and user agent (and names or email in their details, e.g. an
    NDA's signer name); entries about the email (failed logins) lose them too and now name the user."""
    user_id, count = profile["id"], 0
    name = table("AuditLogTable").name
    emails = {e for e in (profile.get("email"), gather.values_for(profile)["email"]) if e}
    for raw in store.query(name, "actorId", user_id):
        item = store.plain(raw)
        remove = [f for f in ("ipAddress", "userAgent") if f in item]
        details = item.get("details")
        scrubbed = _scrub(details, names | emails)
        if remove or scrubbed != details:
            _update("AuditLogTable", raw, {"details": scrubbed} if scrubbed != details else {}, remove)
            count += 1
    if not profile.get("email", "").endswith("@deleted.invalid"):
        target = f"email#{gather.values_for(profile)['email_digest']}"
        for raw in store.query(name, "targetKey", target, "byTarget"):
            moved = {"targetType": "user", "targetId": user_id, "targetKey": f"user#{user_id}"}
            _update("AuditLogTable", raw, moved, ["ipAddress", "userAgent"])
            count += 1
    return count


def _profile(user_id: str) -> int:
    """Last, so a re-run still knows the email the steps above needed."""
    User(user_id).update(
        actions=[
            User.email.set(deleted_email(user_id)),
            User.username.set(DELETED_NAME),
            User.search_text.set(DELETED_NAME),
            User.password_hash.set("!"),  # matches no password
            User.first_name.remove(),
            User.last_name.remove(),
            User.company_name.remove(),
            User.bio.remove(),
            User.avatar_url.remove(),
            User.mfa_enabled.remove(),
            User.mfa_secret.remove(),
            User.mfa_pending_secret.remove(),
            User.mfa_backup_hashes.remove(),
            User.deletion_queue.remove(),
            User.erased_at.set(clock.iso()),
        ],
        condition=User.id.exists(),
    )
    return 1
