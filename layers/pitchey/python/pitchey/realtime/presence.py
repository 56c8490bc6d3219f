"""Presence: a user is online while at least one of their WebSockets is open.

An atomic counter per user (`presence#<userId>` in RealtimeState) decides the edges: the ADD that brings it
to 1 is the first connection (→ online), the one that brings it to 0 the last (→ offline), so two
connections opening at once never both announce. Followers of that user who are connected get the frame.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from pitchey.core import clock
from pitchey.core.config import table_name
from pitchey.realtime.connections import connection_ttl
from pitchey.realtime.models import RealtimeState

_dynamodb: Any = None


def _client() -> Any:
    global _dynamodb
    if _dynamodb is None:
        import boto3

        _dynamodb = boto3.client("dynamodb")
    return _dynamodb


def followers_of(user_id: str) -> list[str]:
    """Ids of the users who follow `user_id`.

    One paginated Query on the pitches context's Follows table, index `byTarget` (targetKey
    `user#<id>`), reading only followerId. The one place realtime knows that table's design."""
    followers: list[str] = []
    kwargs: dict[str, Any] = {
        "TableName": table_name("FOLLOWS_TABLE", "FollowsTable"),
        "IndexName": "byTarget",
        "KeyConditionExpression": "targetKey = :target",
        "ExpressionAttributeValues": {":target": {"S": f"user#{user_id}"}},
        "ProjectionExpression": "followerId",
    }
    while True:
        page = _client().query(**kwargs)
        followers.extend(item["followerId"]["S"] for item in page.get("Items", []) if "followerId" in item)
        if "LastEvaluatedKey" not in page:
            return followers
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _key(user_id: str) -> str:
    return f"presence#{user_id}"


def opened(user_id: str) -> bool:
    """Count one more open connection; True if it is the user's first (they just came online)."""
    state = RealtimeState(_key(user_id))
    state.update(
        actions=[
            RealtimeState.open_count.add(1),
            # The counter lives as long as a connection could, so a crash that skips $disconnect heals.
            RealtimeState.ttl.set(clock.epoch() + connection_ttl()),
        ]
    )
    return int(state.open_count) == 1


def closed(user_id: str) -> bool:
    """Count one connection fewer; True if it was the user's last (they just went offline)."""
    state = RealtimeState(_key(user_id))
    try:
        state.update(
            actions=[RealtimeState.open_count.add(-1)],
            condition=RealtimeState.open_count > 0,
        )
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False  # already at zero (or expired): someone else announced it
        raise
    return int(state.open_count) == 0


def presence_data(user_id: str, online: bool) -> dict[str, str]:
    return {"userId": user_id, "status": "online" if online else "offline"}


def touch(user_id: str) -> None:
    """Ping: keep the counter alive as long as the connection that pings."""
    try:
        RealtimeState(_key(user_id)).update(
            actions=[RealtimeState.ttl.set(clock.epoch() + connection_ttl())],
            condition=RealtimeState.key.exists(),
        )
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
