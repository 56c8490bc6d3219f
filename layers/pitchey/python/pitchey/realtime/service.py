"""What each WebSocket route does. Handlers in functions/realtime/ call exactly one of these."""

from __future__ import annotations

from typing import Any

from pitchey.auth.context import AuthUser
from pitchey.auth.models import Session
from pitchey.core.errors import Unauthorized, ValidationFailed
from pitchey.core.log import logger
from pitchey.realtime import connections, presence, push
from pitchey.realtime.channels import parse_channel
from pitchey.realtime.models import Connection
from pitchey.realtime.ws import reply


def connect(connection_id: str, user: AuthUser) -> None:
    connection = connections.open_connection(connection_id, user)
    try:
        push.connection_opened(connection)
    except Exception:  # presence is best effort; the connection itself is open
        logger.exception("presence on connect failed")


def disconnect(connection_id: str) -> None:
    push.drop_connection(connection_id)


def _caller(connection_id: str) -> Connection:
    """The caller's connection, if its session is still live; a revoked session closes the socket."""
    connection = connections.get_connection(connection_id)
    try:
        session = Session.get(connection.session_id)
        live = session.user_id == connection.user_id and session.is_live()
    except Session.DoesNotExist:
        live = False
    if not live:
        push.drop_connection(connection_id, close_socket=True)
        raise Unauthorized("Session has ended")
    return connection


def ping(connection_id: str) -> dict[str, Any]:
    connection = _caller(connection_id)
    connections.refresh(connection)
    presence.touch(connection.user_id)
    return reply("pong", {})


def _channel(body: dict[str, Any]) -> str:
    channel = body.get("channel")
    parse_channel(channel)
    return channel


def subscribe(connection_id: str, body: dict[str, Any]) -> None:
    connections.subscribe(_caller(connection_id), _channel(body))


def unsubscribe(connection_id: str, body: dict[str, Any]) -> None:
    connections.unsubscribe(_caller(connection_id), _channel(body))


def typing(connection_id: str, body: dict[str, Any]) -> int:
    """`{"action": "typing", "channel": "pitch:<id>", "isTyping": true}` from a connection subscribed to the
    channel → `{"type": "typing", "data": {"channel", "userId", "isTyping"}}` to the channel's other users.
    Returns how many connections got it."""
    connection = _caller(connection_id)
    channel = _channel(body)
    is_typing = body.get("isTyping", True)
    if not isinstance(is_typing, bool):
        raise ValidationFailed.field("isTyping", "isTyping must be true or false")
    if channel not in (connection.subscriptions or set()):
        raise ValidationFailed.field("channel", "Subscribe to the channel before typing in it")
    payload = push.frame("typing", {"channel": channel, "userId": connection.user_id, "isTyping": is_typing})
    audience = [item for item in connections.subscribers(channel) if item.user_id != connection.user_id]
    return push.send_to_connections(audience, payload)
