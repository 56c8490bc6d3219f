"""Route dispatch: API Gateway's `requestContext`, route selection, invoking a route's function and what goes
back to the client (two-way answers, gateway errors), and `$disconnect`."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import logging
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import ServerConnection

from local.websocket.connections import Connection, ConnectionRegistry, aws_id, close_status, now_ms
from local.websocket.spec import WebSocketApiSpec, WsRoute

log = logging.getLogger("pitchey-local")


def select_route_key(expression: str, body: str | bytes, routes: dict[str, WsRoute]) -> str | None:
    """API Gateway route selection: `$request.body.a.b` of a JSON text frame, else `$default` if declared."""
    key = None
    prefix = "$request.body."
    if expression.startswith(prefix) and isinstance(body, str):
        try:
            value: Any = json.loads(body)
        except (ValueError, RecursionError):  # a frame nested deeper than the stack selects no route
            value = None
        for part in expression[len(prefix) :].split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            key = str(value)
    if key is not None and key in routes and not key.startswith("$"):
        return key
    return "$default" if "$default" in routes else None


def _request_time(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def proxy_body(payload: Any) -> str | None:
    """What a two-way route sends back: the proxy response's `body` (JSON-encoded if not a string)."""
    if not isinstance(payload, dict) or payload.get("body") is None:
        return None
    body = payload["body"]
    if payload.get("isBase64Encoded") and isinstance(body, str):
        return base64.b64decode(body).decode("utf-8", "replace")
    return body if isinstance(body, str) else json.dumps(body)


def _gateway_error(message: str, conn: Connection, context: dict[str, Any]) -> str:
    error = {"message": message, "connectionId": conn.connection_id, "requestId": context["requestId"]}
    return json.dumps(error)


class RouteDispatcher:
    """Turns a connection's events into invocations of the template's functions (on a thread pool: the
    worker pool's `invoke` blocks)."""

    def __init__(self, runtime: Any, spec: WebSocketApiSpec, registry: ConnectionRegistry) -> None:
        self.functions = runtime.functions
        self.spec = spec
        self.registry = registry
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="ws-invoke")

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def invoke(self, function: str, event: dict[str, Any]) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: self.functions.invoke(function, event))

    def context(self, conn: Connection, route_key: str, event_type: str) -> dict[str, Any]:
        """API Gateway's `requestContext` for an event of this connection."""
        now = now_ms()
        request_id = aws_id()
        context: dict[str, Any] = {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": _request_time(now),
            "messageDirection": "IN",
            "stage": self.spec.stage,
            "connectedAt": conn.connected_at,
            "requestTimeEpoch": now,
            "identity": {"sourceIp": conn.source_ip, "userAgent": conn.user_agent},
            "requestId": request_id,
            "domainName": conn.domain_name,
            "connectionId": conn.connection_id,
            "apiId": self.spec.api_id,
        }
        if conn.authorizer is not None:
            context["authorizer"] = conn.authorizer
        return context

    async def on_message(self, conn: Connection, message: str | bytes) -> None:
        route_key = select_route_key(self.spec.selection_expression, message, self.spec.routes)
        context = self.context(conn, route_key or "$default", "MESSAGE")
        context["messageId"] = aws_id()
        route = self.spec.routes.get(route_key) if route_key else None
        if route is None or route.function is None:
            await self.registry.reply(conn, _gateway_error("Forbidden", conn, context))
            return
        is_binary = isinstance(message, bytes)
        body = base64.b64encode(message).decode() if is_binary else message
        event = {"requestContext": context, "body": body, "isBase64Encoded": is_binary}
        result = await self.invoke(route.function, event)
        if result.error is not None:
            log.warning(
                "route %s -> %s failed: %s", route_key, route.function, result.error.get("errorMessage")
            )
            await self.registry.reply(conn, _gateway_error("Internal server error", conn, context))
            return
        if route.two_way:
            reply = proxy_body(result.payload)
            if reply is not None:
                await self.registry.reply(conn, reply)

    async def on_disconnect(self, conn: Connection, socket: ServerConnection) -> None:
        route = self.spec.routes.get("$disconnect")
        if route is None or route.function is None:
            return
        code, reason = close_status(socket)
        context = self.context(conn, "$disconnect", "DISCONNECT")
        context["disconnectStatusCode"] = code
        context["disconnectReason"] = reason
        event = {
            "headers": {"Host": conn.domain_name, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""},
            "multiValueHeaders": {
                "Host": [conn.domain_name],
                "x-api-key": [""],
                "X-Forwarded-For": [""],
                "x-restapi": [""],
            },
            "requestContext": context,
            "isBase64Encoded": False,
        }
        try:
            result = await self.invoke(route.function, event)
        except RuntimeError:  # the invoke pool is shutting down with the runtime
            return
        if result.error is not None:
            log.warning("$disconnect %s failed: %s", route.function, result.error.get("errorMessage"))
