"""What each WebSocket route does. Handlers in functions/realtime/ call exactly one of these."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pitchey.auth.context import AuthUser
from pitchey.auth.models import Session
from pitchey.core import ratelimit
from pitchey.core.errors import NotFound, Unauthorized, ValidationFailed
from pitchey.core.log import logger
from pitchey.realtime import connections, conversations, presence, push
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


def close_user_connections(user_id: str) -> int:
    """Closes every open WebSocket of a user at once (suspension, ban) through the management API."""
    open_ids = [item.connection_id for item in connections.connections_of(user_id)]
    for connection_id in open_ids:
        push.drop_connection(connection_id, close_socket=True)
    return len(open_ids)


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


TYPING_LIMIT = 10  # typing frames per user and conversation
TYPING_WINDOW_SECONDS = 10


def typing(connection_id: str, body: dict[str, Any]) -> int:
    """`{"action": "typing", "conversationId": "...", "isTyping": true}` from a participant → a typing frame
    `{conversationId, userId, isTyping}` to every connection of the other participants (never stored).
    `{"action": "typing", "channel": "pitch:<id>", ...}` from a connection subscribed to the channel → the
    channel's other users get `{channel, userId, isTyping}`. Returns how many connections got it."""
    connection = _caller(connection_id)
    is_typing = body.get("isTyping", True)
    if not isinstance(is_typing, bool):
        raise ValidationFailed.field("isTyping", "isTyping must be true or false")
    if "conversationId" in body:
        return _conversation_typing(connection, body["conversationId"], is_typing)
    channel = _channel(body)
    if channel not in (connection.subscriptions or set()):
        raise ValidationFailed.field("channel", "Subscribe to the channel before typing in it")
    payload = push.frame("typing", {"channel": channel, "userId": connection.user_id, "isTyping": is_typing})
    audience = [item for item in connections.subscribers(channel) if item.user_id != connection.user_id]
    return push.send_to_connections(audience, payload)


def _conversation_typing(connection: Connection, conversation_id: Any, is_typing: bool) -> int:
    if not isinstance(conversation_id, str) or not 0 < len(conversation_id) <= 128:
        raise ValidationFailed.field("conversationId", "conversationId must be a conversation id")
    participants = conversations.participants_of(conversation_id)
    if participants is None or connection.user_id not in participants:
        raise NotFound("Conversation not found")
    identity = f"{connection.user_id}#{conversation_id}"
    ratelimit.hit("typing", identity, TYPING_LIMIT, window_seconds=TYPING_WINDOW_SECONDS)
    data = {"conversationId": conversation_id, "userId": connection.user_id, "isTyping": is_typing}
    return push_to_users([uid for uid in participants if uid != connection.user_id], "typing", data)


def push_to_users(user_ids: Iterable[str], frame_type: str, data: dict[str, Any]) -> int:
    """One frame to every live connection of each user (other contexts push through this). Returns how many
    connections got it; raises push.PushError if some could not be reached (worth a retry)."""
    payload = push.frame(frame_type, data)
    return sum(push.send_to_user(user_id, payload) for user_id in dict.fromkeys(user_ids))
