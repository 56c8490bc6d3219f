"""PrivacyExportBuilderFunction: the Exports stream → one zip per new export item (pitchey.privacy.export).

A failing record is reported as a batch item failure, so Lambda retries from it; a rebuilt export writes
a new zip under a new random key and points the item at it."""

from typing import Any

from pitchey.core.log import logger
from pitchey.privacy import export


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event.get("Records", []):
        if record.get("eventName") != "INSERT":
            continue
        try:
            export.build(record["dynamodb"]["NewImage"]["id"]["S"])
        except Exception:
            logger.exception("export build failed", extra={"event_id": record.get("eventID")})
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    return {"batchItemFailures": []}
