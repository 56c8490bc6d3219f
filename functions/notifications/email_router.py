"""NotifyEmailRouterFunction: the Notifications stream → email by the user's preferences.

instant → queued in the EmailOutbox (sent by EmailSenderFunction); daily / weekly → a digest entry;
never → nothing. Idempotent per notification, so a retried record queues nothing twice.
"""

from typing import Any

from pitchey.core.log import logger
from pitchey.notifications.models import Notification
from pitchey.notifications.routing import route_email


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event.get("Records", []):
        if record.get("eventName") != "INSERT":
            continue
        try:
            route_email(Notification.from_raw_data(record["dynamodb"]["NewImage"]))
        except Exception:
            logger.exception("email routing failed", extra={"event_id": record.get("eventID")})
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    return {"batchItemFailures": []}
