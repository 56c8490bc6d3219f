"""AuditExportFunction (schedule AuditExportSchedule, daily 00:30 UTC): yesterday's audit log to S3 as
JSON lines. `{"date": "YYYY-MM-DD"}` in the event exports that day instead (a backfill or a re-run)."""

from typing import Any

from pitchey.admin import service


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return service.export_audit_day((event or {}).get("date"))
