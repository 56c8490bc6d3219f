"""WebSocket $disconnect: forget the connection and its subscriptions; the last one → presence offline."""

from typing import Any

from pitchey.core.log import logger
from pitchey.realtime import service


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    connection_id = (event.get("requestContext") or {}).get("connectionId", "")
    try:
        service.disconnect(connection_id)
    except Exception:  # the socket is closed regardless; its record then expires by TTL
        logger.exception("$disconnect cleanup failed", extra={"connection_id": connection_id})
    return {"statusCode": 200}
