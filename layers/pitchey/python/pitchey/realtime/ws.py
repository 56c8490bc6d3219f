"""Conventions for WebSocket route handlers (API Gateway WebSocket API, Lambda proxy integration).

    @ws_route
    def handler(message: Message) -> dict | None:
        return reply("pong", {})

A message route returns the frame to answer with (sent back to the caller through the route's `$default`
route response) or None. Client mistakes become an `error` frame
`{"type": "error", "data": {"code", "message", "details"?}, "timestamp"}`; nothing raises to API Gateway.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pitchey.auth.context import AuthUser, ensure_live, user_from_token
from pitchey.core import clock, coldstart, jsonbody
from pitchey.core.errors import AppError, BadRequest, Unauthorized
from pitchey.core.log import logger

MAX_MESSAGE_BYTES = 32 * 1024


@dataclass
class Message:
    event: dict[str, Any]
    connection_id: str
    route_key: str
    body: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Message:
        context = event.get("requestContext") or {}
        return cls(event, str(context.get("connectionId", "")), str(context.get("routeKey", "")))

    def parse_body(self) -> None:
        raw = self.event.get("body") or ""
        if len(raw) > MAX_MESSAGE_BYTES:
            raise BadRequest("Message is larger than 32 KiB")
        if not raw.strip():
            return
        try:
            body = jsonbody.loads(raw)
        except jsonbody.TooDeep:
            raise BadRequest(f"Message nests deeper than {jsonbody.MAX_DEPTH} levels") from None
        except ValueError:
            raise BadRequest("Message is not valid JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("Message must be a JSON object")
        self.body = body


def reply(frame_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": frame_type, "data": data, "timestamp": clock.iso()}


def error_frame(error: AppError) -> dict[str, Any]:
    data: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.details:
        data["details"] = error.details
    return reply("error", data)


def _answer(frame: dict[str, Any] | None) -> dict[str, Any]:
    if frame is None:
        return {"statusCode": 200}
    return {"statusCode": 200, "body": json.dumps(frame, separators=(",", ":"), default=str)}


def ws_route(
    endpoint: Callable[[Message], dict[str, Any] | None],
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    coldstart.end_init()

    @functools.wraps(endpoint)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        message = Message.from_event(event)
        logger.set_correlation_id((event.get("requestContext") or {}).get("requestId"))
        logger.append_keys(route=message.route_key, connection_id=message.connection_id)
        try:
            message.parse_body()
            return _answer(endpoint(message))
        except AppError as error:
            return _answer(error_frame(error))
        except Exception:
            logger.exception("websocket route failed")
            return _answer(error_frame(AppError("Internal error")))

    return handler


def authenticate_connect(event: dict[str, Any]) -> AuthUser:
    """$connect: the `token` query parameter under the HTTP side's rules (valid JWT, not expired, session
    live). Raises Unauthorized."""
    token = (event.get("queryStringParameters") or {}).get("token")
    if not token:
        raise Unauthorized("Missing token query parameter")
    user = user_from_token(token)
    ensure_live(user)
    return user


def connect_refusal(error: AppError) -> dict[str, Any]:
    """A non-2xx answer to $connect makes API Gateway refuse the handshake with that status."""
    body = {
        "success": False,
        "error": {"code": error.code, "message": error.message},
        "timestamp": clock.iso(),
    }
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body, separators=(",", ":")),
    }
