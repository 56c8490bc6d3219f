"""MessagesPushFunction: the Messages and ReadReceipts streams → chat_message / read_receipt frames on every
WebSocket of the other participants.

A record that fails is reported as a batch item failure and processing stops there, so Lambda retries from
it and nothing after it is pushed twice.
"""

from typing import Any

from pitchey.core.log import logger
from pitchey.messages.live import deliver


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event.get("Records", []):
        try:
            deliver(record)
        except Exception:
            logger.exception("message push failed", extra={"event_id": record.get("eventID")})
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    return {"batchItemFailures": []}
