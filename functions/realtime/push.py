"""NotifyPushFunction: the Notifications stream → a frame on every WebSocket of the recipient.

Only INSERTs are pushed (MODIFY is a read flag changing). A record that fails is reported as a batch item
failure and processing stops there, so Lambda retries from it and nothing after it is pushed twice.
An offline user simply has no connection: the notification stays unread in their history.
"""

from typing import Any

from pitchey.core.log import logger
from pitchey.notifications.models import Notification
from pitchey.realtime.push import deliver_notification


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event.get("Records", []):
        if record.get("eventName") != "INSERT":
            continue
        try:
            notification = Notification.from_raw_data(record["dynamodb"]["NewImage"])
            deliver_notification(notification)
        except Exception:
            logger.exception("push failed", extra={"event_id": record.get("eventID")})
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    return {"batchItemFailures": []}
