"""WebSocket state: live connections, channel subscriptions, presence counters and broadcast markers."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core.config import table_name
from pitchey.core.models import TableMeta


class ConnectionsByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "byUser"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    connected_at = UnicodeAttribute(range_key=True, attr_name="connectedAt")


class Connection(Model):
    """One open WebSocket. Expires by TTL if it is never closed cleanly; ping pushes the TTL out."""

    class Meta(TableMeta):
        table_name = table_name("CONNECTIONS_TABLE", "ConnectionsTable")

    connection_id = UnicodeAttribute(hash_key=True, attr_name="connectionId")
    user_id = UnicodeAttribute(attr_name="userId")
    session_id = UnicodeAttribute(attr_name="sessionId")
    connected_at = UnicodeAttribute(attr_name="connectedAt")
    subscriptions = UnicodeSetAttribute(null=True)  # channels, e.g. "pitch:<id>"
    ttl = NumberAttribute()

    by_user = ConnectionsByUser()


class ChannelSubscription(Model):
    """Who listens on a channel: one item per (channel, connection), so a broadcast is one Query."""

    class Meta(TableMeta):
        table_name = table_name("CHANNEL_SUBSCRIPTIONS_TABLE", "ChannelSubscriptionsTable")

    channel = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True, attr_name="connectionId")
    user_id = UnicodeAttribute(attr_name="userId")
    ttl = NumberAttribute()


class RealtimeState(Model):
    """Small keyed records with a TTL: `presence#<userId>` (open connection count, atomic ADD) and
    `broadcast#<channel>#<digest>` (when a channel broadcast of that content was last done)."""

    class Meta(TableMeta):
        table_name = table_name("REALTIME_STATE_TABLE", "RealtimeStateTable")

    key = UnicodeAttribute(hash_key=True)
    open_count = NumberAttribute(null=True, attr_name="openCount")
    at = UnicodeAttribute(null=True)
    ttl = NumberAttribute()
