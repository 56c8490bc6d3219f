"""Append-only audit trail: who did what to which target, from where, and when."""

from __future__ import annotations

import json
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core import clock
from pitchey.core.caller import Caller, Client
from pitchey.core.config import table_name
from pitchey.core.ids import new_id
from pitchey.core.log import logger
from pitchey.core.models import TableMeta

LOG = "audit"  # the constant partition of the byTime index: the whole log in time order


class AuditByTime(GlobalSecondaryIndex):
    """The whole log by time: the unfiltered admin query and the daily export (a day is an sk range)."""

    class Meta:
        index_name = "byTime"
        projection = AllProjection()

    log = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class AuditByAction(GlobalSecondaryIndex):
    class Meta:
        index_name = "byAction"
        projection = AllProjection()

    action = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class AuditByTarget(GlobalSecondaryIndex):
    class Meta:
        index_name = "byTarget"
        projection = AllProjection()

    target_key = UnicodeAttribute(hash_key=True, attr_name="targetKey")
    sk = UnicodeAttribute(range_key=True)


class AuditEntry(Model):
    class Meta(TableMeta):
        table_name = table_name("AUDIT_LOG_TABLE", "AuditLogTable")

    actor_id = UnicodeAttribute(hash_key=True, attr_name="actorId")
    sk = UnicodeAttribute(range_key=True)
    action = UnicodeAttribute()
    target_type = UnicodeAttribute(null=True, attr_name="targetType")
    target_id = UnicodeAttribute(null=True, attr_name="targetId")
    target_key = UnicodeAttribute(null=True, attr_name="targetKey")
    ip_address = UnicodeAttribute(null=True, attr_name="ipAddress")
    user_agent = UnicodeAttribute(null=True, attr_name="userAgent")
    at = UnicodeAttribute()
    details = UnicodeAttribute(null=True)
    log = UnicodeAttribute(null=True)

    by_time = AuditByTime()
    by_action = AuditByAction()
    by_target = AuditByTarget()


def entry(
    action: str,
    *,
    actor_id: str | None,
    target_type: str | None = None,
    target_id: str | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """One entry, not yet written: `record` saves it, a transaction may put it beside the change it tells
    of (so the entry exists exactly when the change does). `actor_id` None means an anonymous caller."""
    at = clock.iso_precise()
    return AuditEntry(
        actor_id or "anonymous",
        f"{at}#{new_id()}",
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_key=f"{target_type}#{target_id}" if target_type and target_id else None,
        ip_address=ip_address,
        user_agent=user_agent,
        at=at,
        details=json.dumps(details, separators=(",", ":"), default=str) if details else None,
        log=LOG,
    )


def record(action: str, **fields: Any) -> AuditEntry:
    """Write one entry now (fields as for `entry`)."""
    item = entry(action, **fields)
    item.save()
    logger.info("audit", extra={"audit_action": action, "actor": item.actor_id, "target": item.target_key})
    return item


def record_about(caller: Caller, action: str, target_type: str, item: Any, **details: Any) -> AuditEntry:
    """An entry about a lifecycle record (an NDA, an investment, a project) by `caller`: the record's pitch
    and status go in the details."""
    return record(
        action,
        actor_id=caller.id,
        target_type=target_type,
        target_id=item.id,
        ip_address=caller.ip,
        user_agent=caller.user_agent,
        details={"pitchId": item.pitch_id, "status": item.status, **details},
    )


def record_account(action: str, client: Client, user_id: str | None, **details: Any) -> AuditEntry:
    """An entry about an account by its own user (verification, recovery, MFA) from where the request came;
    `user_id` None when no account matched (e.g. a reset asked for an unknown email)."""
    return record(
        action,
        actor_id=user_id,
        target_type="user" if user_id else None,
        target_id=user_id,
        ip_address=client.ip_address,
        user_agent=client.user_agent,
        details=details or None,
    )
