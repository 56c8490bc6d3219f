"""BroadcastFanoutFunction: the BroadcastsTable stream → one page of users notified per new page item.

A failing record is reported as a batch item failure, so Lambda retries from it; a retried page writes the
same notifications again (stable keys) and never a second next page.
"""

from typing import Any

from pitchey.admin import service
from pitchey.admin.models import BroadcastPage
from pitchey.core.log import logger


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event.get("Records", []):
        if record.get("eventName") != "INSERT":
            continue
        try:
            service.fan_out_page(BroadcastPage.from_raw_data(record["dynamodb"]["NewImage"]))
        except Exception:
            logger.exception("broadcast fan-out failed", extra={"event_id": record.get("eventID")})
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    return {"batchItemFailures": []}
