"""Administration: the user list and moderation (suspend, ban, restore, grant-admin).

Suspending or banning writes the user's status first, then revokes every live session (each request
checks its session, so every route refuses at once) and closes every open WebSocket through the
management API. Login refuses a closed account (403) and re-checks the status after writing its session,
so a login racing a suspension cannot keep a session. Every action is in the audit log.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PutError, UpdateError

from pitchey.admin.models import REPORT_STATUSES, BroadcastPage, Report, admin_user_view, report_view, seconds
from pitchey.core import audit, clock
from pitchey.core.audit import LOG, AuditEntry
from pitchey.core.caller import Caller
from pitchey.core.db import Page, PageRequest, query_page
from pitchey.core.errors import Conflict, NotFound, ValidationFailed
from pitchey.core.ids import new_id
from pitchey.core.settings import settings
from pitchey.users import service as users
from pitchey.users.models import DIRECTORY, STATUSES, User, search_text

# The other contexts' services (pitches, messages, realtime, notifications) are imported where a moderation,
# a report, a feature or a broadcast uses them: the admin's reads (users, reports, audit) need none of them,
# and together they are ~10 % of those functions' cold start.

if TYPE_CHECKING:  # request bodies (pydantic) load only in the functions that parse them
    from pitchey.admin.schemas import BroadcastBody, ModerationBody, ReportBody, ResolveBody

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


def _audit(caller: Caller, action: str, target_type: str, target_id: str, details: dict[str, Any]) -> None:
    audit.record(
        action,
        actor_id=caller.id,
        target_type=target_type,
        target_id=target_id,
        ip_address=caller.ip,
        user_agent=caller.user_agent,
        details=details,
    )


def moderate(caller: Caller, user_id: str, action: str, body: ModerationBody) -> dict[str, Any]:
    if action not in MODERATION:
        raise NotFound(f"No such action: {action[:40]}")
    return admin_user_view(_moderate(caller, users.get_user(user_id), action, body.reason))


def _moderate(caller: Caller, target: User, action: str, reason: str | None) -> User:
    if target.id == caller.id:
        raise Conflict("Administrators cannot moderate their own account", code="CANNOT_MODERATE_SELF")
    status = MODERATION[action]
    details: dict[str, Any] = {"reason": reason} if reason else {}
    if status is None:
        _update(target, User.is_admin.set(True))
    else:
        details["from"] = target.account_status
        _update(target, User.status.set(status))
        if status != "active":
            from pitchey.auth import service as auth  # moderation only: the admin's reads do not load it
            from pitchey.realtime import service as realtime

            details["revokedSessions"] = auth.revoke_user_sessions(target.id)
            details["closedConnections"] = realtime.close_user_connections(target.id)
    _audit(caller, f"admin.user_{action.replace('-', '_')}", "user", target.id, details)
    return users.get_user(target.id)


def _update(user: User, action: Any) -> None:
    try:
        user.update(actions=[action, User.updated_at.set(clock.iso())], condition=User.id.exists())
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise NotFound("User not found") from None
        raise


# --- reports -------------------------------------------------------------------------------------------
def _owner_of(reporter_id: str, target_type: str, target_id: str) -> str:
    """Whose content the target is; a target the reporter cannot see is a 404 (as everywhere)."""
    if target_type == "pitch":
        from pitchey.pitches import service as pitches

        return pitches.load_visible(target_id, reporter_id).creator_id
    if target_type == "message":
        from pitchey.messages import service as messages

        _conversation, message = messages.load_message(reporter_id, target_id)
        return message.sender_id
    return users.get_user(target_id).id


def create_report(caller: Caller, body: ReportBody) -> dict[str, Any]:
    owner_id = _owner_of(caller.id, body.target_type, body.target_id)
    report = Report(
        new_id(),
        reporter_id=caller.id,
        target_type=body.target_type,
        target_id=body.target_id,
        target_owner_id=owner_id,
        reason=body.reason,
        status="open",
        created_at=clock.iso_precise(),
    )
    report.save(condition=Report.id.does_not_exist())
    _audit(caller, "report.create", body.target_type, body.target_id, {"reportId": report.id})
    return report_view(report)


def list_reports(status: str | None, page: PageRequest) -> Page[dict[str, Any]]:
    """Oldest open first (the moderation queue); resolved ones newest first."""
    status = status or "open"
    if status not in REPORT_STATUSES:
        raise ValidationFailed.field("status", "status must be open or resolved")
    result = query_page(
        Report,
        lambda **paging: Report.by_status.query(status, scan_index_forward=status == "open", **paging),
        ("id", "status", "createdAt"),
        page=page,
        scope=f"admin-reports:{status}",
    )
    return result.map(report_view)


def resolve_report(caller: Caller, report_id: str, body: ResolveBody) -> dict[str, Any]:
    """Claims the open report (one conditional write: of two racing resolutions one gets 409), then applies
    the action; if the action fails the claim is undone, so the report stays open."""
    report = _load_report(report_id)
    if body.action == "hide" and report.target_type != "pitch":
        raise ValidationFailed.field("action", "Only a reported pitch can be hidden")
    if body.action == "ban" and report.target_owner_id == caller.id:
        raise Conflict("Administrators cannot moderate their own account", code="CANNOT_MODERATE_SELF")
    now = clock.iso_precise()
    claim = [
        Report.status.set("resolved"),
        Report.resolved_at.set(now),
        Report.resolved_by.set(caller.id),
        Report.action.set(body.action),
    ]
    if body.note:
        claim.append(Report.note.set(body.note))
    try:
        report.update(actions=claim, condition=Report.status == "open")
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise Conflict("This report is already resolved", code="REPORT_RESOLVED") from None
        raise
    try:
        if body.action == "hide":
            from pitchey.pitches import service as pitches

            pitches.hide_by_moderation(report.target_id)
        elif body.action == "ban":
            _moderate(caller, users.get_user(report.target_owner_id), "ban", body.note or report.reason)
    except Exception:
        report.update(
            actions=[
                Report.status.set("open"),
                Report.resolved_at.remove(),
                Report.resolved_by.remove(),
                Report.action.remove(),
                Report.note.remove(),
            ],
            condition=Report.resolved_at == now,
        )
        raise
    details = {"reportId": report.id, "action": body.action, "note": body.note}
    _audit(caller, "admin.report_resolve", report.target_type, report.target_id, details)
    return report_view(report)


def _load_report(report_id: str) -> Report:
    if not 0 < len(report_id) <= 128:
        raise NotFound("Report not found")
    try:
        return Report.get(report_id, consistent_read=True)
    except Report.DoesNotExist:
        raise NotFound("Report not found") from None


# --- featured pitches ----------------------------------------------------------------------------------
def feature_pitch(caller: Caller, pitch_id: str, featured: bool) -> dict[str, Any]:
    from pitchey.pitches import service as pitches

    pitch = pitches.set_featured(pitch_id, featured)
    _audit(caller, "admin.pitch_feature" if featured else "admin.pitch_unfeature", "pitch", pitch.id, {})
    featured_at = seconds(pitch.featured_at)
    return {"pitchId": pitch.id, "featured": featured_at is not None, "featuredAt": featured_at}


# --- audit log -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditFilters:
    actor: str | None = None
    action: str | None = None
    target: str | None = None  # "<type>:<id>"
    start: str | None = None  # `from`: ISO date or date-time
    end: str | None = None  # `to`: inclusive; a date means the whole day


def _moment(name: str, text: str, *, end: bool) -> str:
    """An sk bound: sort keys start with the precise ISO time, so time ranges are key conditions."""
    try:
        moment = clock.from_iso(text if "T" in text else f"{text}T00:00:00Z")
    except ValueError:
        raise ValidationFailed.field(name, f"{name} must be an ISO date or date-time") from None
    if moment.tzinfo is None:
        raise ValidationFailed.field(name, f"{name} needs a time zone (e.g. Z)")
    if end and "T" not in text:
        moment += timedelta(days=1) - timedelta(microseconds=1)
    return clock.iso_precise(moment) + ("\uffff" if end else "")


def _target_key(target: str) -> str:
    kind, separator, target_id = target.replace("#", ":", 1).partition(":")
    if not separator or not kind or not target_id:
        raise ValidationFailed.field("target", "target must be <type>:<id>, e.g. user:<id>")
    return f"{kind}#{target_id}"


def query_audit(filters: AuditFilters, page: PageRequest) -> Page[dict[str, Any]]:
    """Newest first. The most selective filter picks the Query (actor: the table; target: byTarget;
    action: byAction; none: byTime), from/to are its sort-key range, the other filters a FilterExpression."""
    low = _moment("from", filters.start, end=False) if filters.start else "0"
    high = _moment("to", filters.end, end=True) if filters.end else "\uffff"
    if low > high:
        raise ValidationFailed.field("from", "from must not be after to")
    target_key = _target_key(filters.target) if filters.target else None
    sk_range = AuditEntry.sk.between(low, high)
    conditions = []
    if filters.actor:
        query, partition, keys = AuditEntry.query, filters.actor, ("actorId", "sk")
    elif target_key:
        query, partition, keys = AuditEntry.by_target.query, target_key, ("actorId", "sk", "targetKey")
    elif filters.action:
        query, partition, keys = AuditEntry.by_action.query, filters.action, ("actorId", "sk", "action")
    else:
        query, partition, keys = AuditEntry.by_time.query, LOG, ("actorId", "sk", "log")
    if target_key and filters.actor:
        conditions.append(AuditEntry.target_key == target_key)
    if filters.action and (filters.actor or target_key):
        conditions.append(AuditEntry.action == filters.action)
    condition = None
    for part in conditions:
        condition = part if condition is None else condition & part
    result = query_page(
        AuditEntry,
        lambda **paging: query(
            partition, sk_range, filter_condition=condition, scan_index_forward=False, **paging
        ),
        keys,
        page=page,
        scope=f"admin-audit:{filters}",
        filtered=condition is not None,
    )
    return result.map(audit_view)


def audit_view(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": f"{entry.actor_id}|{entry.sk}",
        "actorId": None if entry.actor_id == "anonymous" else entry.actor_id,
        "action": entry.action,
        "targetType": entry.target_type,
        "targetId": entry.target_id,
        "ipAddress": entry.ip_address,
        "userAgent": entry.user_agent,
        "at": entry.at,
        "details": json.loads(entry.details) if entry.details else None,
    }


# --- broadcast -----------------------------------------------------------------------------------------
BROADCAST_PAGE_SIZE = 200  # users notified per fan-out invocation
BROADCAST_TTL_SECONDS = 30 * 24 * 3600  # the page items are bookkeeping only


def broadcast(caller: Caller, body: BroadcastBody) -> dict[str, Any]:
    """Accepted at once (202); the fan-out runs off the BroadcastsTable stream, one page of users per run,
    so no request reads the user list."""
    first = BroadcastPage(
        new_id(),
        0,
        title=body.title,
        body=body.body,
        created_at=clock.iso_precise(),
        created_by=caller.id,
        ttl=clock.epoch() + BROADCAST_TTL_SECONDS,
    )
    first.save(condition=BroadcastPage.id.does_not_exist())
    _audit(caller, "admin.broadcast", "broadcast", first.id, {"title": body.title})
    return {"broadcastId": first.id, "status": "accepted"}


def fan_out_page(page: BroadcastPage) -> int:
    """Notifies one page of users (a `system` notification with a key stable per broadcast and user, so a
    retried page writes nothing twice) and writes the next page while users remain. Returns how many."""
    results = User.by_created.query(
        DIRECTORY, last_evaluated_key=page.cursor or None, limit=BROADCAST_PAGE_SIZE
    )
    recipients = [user.id for user in results]
    from pitchey.notifications import service as notifications

    delivered = notifications.notify_many(
        recipients,
        "system",
        page.title,
        page.body,
        {"broadcastId": page.id},
        stable=(page.id, page.created_at),
    )
    page.update(actions=[BroadcastPage.delivered.set(delivered)])
    if results.last_evaluated_key:
        following = BroadcastPage(
            page.id,
            page.page + 1,
            title=page.title,
            body=page.body,
            created_at=page.created_at,
            created_by=page.created_by,
            cursor=results.last_evaluated_key,
            ttl=page.ttl,
        )
        try:  # a retried page must not start a second chain
            following.save(condition=BroadcastPage.id.does_not_exist())
        except PutError as error:
            if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
                raise
    return delivered


# --- daily audit export --------------------------------------------------------------------------------
def export_audit_day(day: str | None = None) -> dict[str, Any]:
    """Writes one UTC day of the audit log (default: yesterday) to S3 as JSON lines, oldest first, at
    `audit/YYYY/MM/DD.jsonl`. Re-running it writes the same key with the same bytes (sorted keys, the
    entries in sort-key order), so a retry or a manual re-run is harmless."""
    import boto3  # only the export pays for the S3 client

    if day is None:
        day = (clock.now() - timedelta(days=1)).strftime("%Y-%m-%d")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        raise ValidationFailed.field("date", "date must be YYYY-MM-DD")
    start, end = _moment("date", day, end=False), _moment("date", day, end=True)
    lines = [
        json.dumps(audit_view(entry), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        for entry in AuditEntry.by_time.query(LOG, AuditEntry.sk.between(start, end))
    ]
    body = "".join(f"{line}\n" for line in lines).encode("utf-8")
    key = f"audit/{day[:4]}/{day[5:7]}/{day[8:10]}.jsonl"
    boto3.client("s3").put_object(
        Bucket=settings().audit_export_bucket,
        Key=key,
        Body=body,
        ContentType="application/x-ndjson",
        ServerSideEncryption="AES256",
    )
    return {"date": day, "key": key, "entries": len(lines)}


def backfill_directory() -> dict[str, int]:
    """One-off (UserDirectoryBackfillFunction): users registered before the admin directory lack
    `directory`/`searchText`, so GET /api/admin/users cannot list them. A Scan is fine here: it runs once,
    off the request path. Each write is conditional on the field still missing, so re-runs (or a run racing
    a registration) change nothing twice."""
    scanned = updated = 0
    for user in User.scan(filter_condition=User.directory.does_not_exist()):
        scanned += 1
        try:
            user.update(
                actions=[
                    User.directory.set(DIRECTORY),
                    User.search_text.set(search_text(user.email, user.username)),
                ],
                condition=User.directory.does_not_exist(),
            )
            updated += 1
        except UpdateError as error:
            if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
                raise
    return {"scanned": scanned, "updated": updated}
