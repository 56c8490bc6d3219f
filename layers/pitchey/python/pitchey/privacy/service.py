"""Privacy (GDPR) requests: data export jobs and account deletion with a grace period.

The export is built asynchronously (pitchey.privacy.export, from the Exports stream); the deletion is
carried out by the erasure schedule (pitchey.privacy.erasure) once the grace has passed, unless a login
cancelled it first (pitchey.auth.service)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pitchey.core import audit, clock, documents, ratelimit
from pitchey.core.caller import Caller, Client
from pitchey.core.errors import NotFound
from pitchey.core.ids import new_id
from pitchey.core.settings import settings
from pitchey.privacy.models import EXPORT_RETENTION_SECONDS, Export
from pitchey.users.models import DELETION_QUEUE, User

MAX_ID_LENGTH = 128
EXPORTS_PER_HOUR = 5  # each export reads everything about the user: a bound on what one account can cost


def _audit(caller: Caller, action: str, **details: Any) -> None:
    """A privacy request about the caller's own account (the erasure later drops its IP and user agent)."""
    audit.record(
        action,
        actor_id=caller.id,
        target_type="user",
        target_id=caller.id,
        ip_address=caller.ip,
        user_agent=caller.user_agent,
        details=details,
    )


def request_export(caller: Caller) -> dict[str, Any]:
    """POST /api/users/me/export → 202 `{exportId}`: the job item; its stream record builds the zip."""
    ratelimit.hit("privacy-export", caller.id, EXPORTS_PER_HOUR, window_seconds=3600)
    export = Export(
        new_id(),
        user_id=caller.id,
        status="pending",
        created_at=clock.iso_precise(),
        ttl=clock.epoch() + EXPORT_RETENTION_SECONDS,
    )
    export.save(condition=Export.id.does_not_exist())
    _audit(caller, "privacy.export_requested", exportId=export.id)
    return {"exportId": export.id}


def export_status(caller: Caller, export_id: str) -> dict[str, Any]:
    """`{status, downloadUrl?, expiresAt?}`; another user's (or an unknown) export is 404."""
    if not export_id or len(export_id) > MAX_ID_LENGTH:
        raise NotFound("Export not found")
    try:
        export = Export.get(export_id, consistent_read=True)
    except Export.DoesNotExist:
        raise NotFound("Export not found") from None
    if export.user_id != caller.id or export.ttl <= clock.epoch():
        raise NotFound("Export not found")
    if export.status != "ready" or not export.object_key:
        return {"exportId": export.id, "status": "pending"}
    url, expires_at = documents.download_url(
        settings().privacy_exports_bucket, export.object_key, "pitchey-export.zip", "application/zip"
    )
    return {"exportId": export.id, "status": "ready", "downloadUrl": url, "expiresAt": expires_at}


def request_deletion(caller: Caller, password: str) -> dict[str, Any]:
    """DELETE /api/users/me `{password}` → 202 `{deletionScheduledAt}`. Every session ends now, so only a
    new login (which cancels the deletion) gets the user back in. Asking again keeps the first date."""
    from pitchey.auth import service as auth  # here: the export routes share this module, not its cost

    client = Client(caller.ip, caller.user_agent)
    user = auth.check_password(caller.id, password, client, "account.deletion")
    if user.deletion_scheduled_at:
        scheduled = user.deletion_scheduled_at
    else:
        due = clock.now() + timedelta(seconds=settings().account_deletion_grace_seconds)
        scheduled = clock.iso(due)
        User(user.id).update(
            actions=[User.deletion_scheduled_at.set(scheduled), User.deletion_queue.set(DELETION_QUEUE)],
            condition=User.id.exists(),
        )
        _audit(caller, "account.deletion_requested", deletionScheduledAt=scheduled)
    auth.revoke_user_sessions(caller.id)
    return {"deletionScheduledAt": scheduled}
