"""EmailSenderFunction: the EmailOutbox stream → first send attempt of each new email through SES.

A failed send is recorded on the email (still pending, retried by EmailRetryFunction with backoff); only a
failure to reach the outbox table itself makes the record a batch item failure for Lambda to retry.
"""

from typing import Any

from pitchey.core.log import logger
from pitchey.notifications.emails import deliver


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event.get("Records", []):
        if record.get("eventName") != "INSERT":
            continue
        try:
            deliver(record["dynamodb"]["Keys"]["id"]["S"])
        except Exception:
            logger.exception("email delivery failed", extra={"event_id": record.get("eventID")})
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    return {"batchItemFailures": []}
