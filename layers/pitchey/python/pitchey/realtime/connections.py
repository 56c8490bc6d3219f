"""Connections and channel subscriptions: the records behind every WebSocket (no pushing here)."""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, UpdateError

from pitchey.auth.context import AuthUser
from pitchey.core import clock
from pitchey.core.errors import Forbidden, NotFound, ValidationFailed
from pitchey.core.settings import settings
from pitchey.realtime.channels import parse_channel, visible_channel
from pitchey.realtime.models import ChannelSubscription, Connection

MAX_SUBSCRIPTIONS = 50


def connection_ttl() -> int:
    """API Gateway closes a WebSocket after 2 h at most; a little more lets $disconnect arrive first."""
    return settings().websocket_connection_ttl_seconds


def open_connection(connection_id: str, user: AuthUser) -> Connection:
    connection = Connection(
        connection_id,
        user_id=user.id,
        session_id=user.session_id,
        connected_at=clock.iso_precise(),
        ttl=clock.epoch() + connection_ttl(),
    )
    connection.save()
    return connection


def get_connection(connection_id: str) -> Connection:
    try:
        connection = Connection.get(connection_id)
    except Connection.DoesNotExist:
        raise NotFound("Unknown connection; reconnect", code="NOT_CONNECTED") from None
    if connection.ttl <= clock.epoch():
        raise NotFound("Connection expired; reconnect", code="NOT_CONNECTED")
    return connection


def remove_connection(connection_id: str) -> Connection | None:
    """Deletes the connection and its channel subscriptions. Returns the connection if this call removed
    it (so exactly one of $disconnect, a Gone answer or a revoked session counts it as closed)."""
    try:
        connection = Connection.get(connection_id, consistent_read=True)
    except Connection.DoesNotExist:
        return None
    try:
        connection.delete(condition=Connection.connection_id.exists())
    except DeleteError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return None
        raise
    for channel in connection.subscriptions or ():
        ChannelSubscription(channel, connection_id).delete()
    return connection


def refresh(connection: Connection) -> None:
    """Ping: the client is alive, so its connection and subscriptions live on."""
    ttl = clock.epoch() + connection_ttl()
    try:
        connection.update(actions=[Connection.ttl.set(ttl)], condition=Connection.connection_id.exists())
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise NotFound("Unknown connection; reconnect", code="NOT_CONNECTED") from None
        raise
    for channel in connection.subscriptions or ():
        ChannelSubscription(channel, connection.connection_id, user_id=connection.user_id, ttl=ttl).save()


def connections_of(user_id: str) -> list[Connection]:
    """Every live connection of a user (GSI byUser); records past their TTL but not yet swept are skipped."""
    now = clock.epoch()
    return [item for item in Connection.by_user.query(user_id) if item.ttl > now]


def subscribe(connection: Connection, channel: str) -> None:
    """Listen on a channel the user may see (published pitch, or their own); 403 otherwise."""
    kind, target = parse_channel(channel)
    if not visible_channel(kind, target, connection.user_id):
        raise Forbidden(f"You cannot subscribe to {channel}", code="CHANNEL_FORBIDDEN")
    current = connection.subscriptions or set()
    if channel not in current and len(current) >= MAX_SUBSCRIPTIONS:
        raise ValidationFailed.field("channel", f"At most {MAX_SUBSCRIPTIONS} subscriptions per connection")
    subscription = ChannelSubscription(channel, connection.connection_id)
    subscription.user_id, subscription.ttl = connection.user_id, connection.ttl
    subscription.save()
    try:
        connection.update(
            actions=[Connection.subscriptions.add({channel})],
            condition=Connection.connection_id.exists(),
        )
    except UpdateError as error:
        # Closed meanwhile: undo, so no subscription outlives its connection.
        ChannelSubscription(channel, connection.connection_id).delete()
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise NotFound("Unknown connection; reconnect", code="NOT_CONNECTED") from None
        raise


def unsubscribe(connection: Connection, channel: str) -> None:
    parse_channel(channel)
    ChannelSubscription(channel, connection.connection_id).delete()
    if channel in (connection.subscriptions or set()):
        connection.update(actions=[Connection.subscriptions.delete({channel})])


def subscribers(channel: str) -> list[ChannelSubscription]:
    now = clock.epoch()
    return [item for item in ChannelSubscription.query(channel) if item.ttl > now]
