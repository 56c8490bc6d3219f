"""WebSocket $connect: authenticates `?token=` itself (same JWT and session rules as the HTTP API) and
refuses the handshake with 401 otherwise; then records the connection and announces presence."""

from typing import Any

from pitchey.core.errors import AppError
from pitchey.core.log import logger
from pitchey.realtime import service
from pitchey.realtime.ws import authenticate_connect, connect_refusal


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    connection_id = (event.get("requestContext") or {}).get("connectionId", "")
    try:
        user = authenticate_connect(event)
        service.connect(connection_id, user)
    except AppError as error:
        return connect_refusal(error)
    except Exception:
        logger.exception("$connect failed")
        return {"statusCode": 500}
    return {"statusCode": 200}
