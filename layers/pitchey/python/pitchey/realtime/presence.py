"""Presence: a user is online while at least one of their WebSockets is open.

An atomic counter per user (`presence#<userId>` in RealtimeState) decides the edges: the ADD that brings it
to 1 is the first connection (→ online), the one that brings it to 0 the last (→ offline), so two
connections opening at once never both announce. The frame goes only to the user's `audience` (people they
deal with through an NDA), not to followers: following someone gives no consent to be watched.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from pitchey.core import clock
from pitchey.core.config import aws_client, table_name
from pitchey.realtime.connections import connection_ttl
from pitchey.realtime.models import RealtimeState

# NDA statuses in which both sides have agreed to deal with each other (the creator approved the request).
SHARING_NDA_STATUSES = ("approved", "signed")


def audience(user_id: str) -> set[str]:
    """Who may see `user_id` come online and go offline: only people they have agreed to deal with, never
    mere followers (docs/decisions.md). Today the other party of an approved or signed NDA, either side;
    the messaging and investment work add conversation and investment counterparts here.

    Paginated Queries on the NDA context's indexes `byCreatorStatus` / `byRequesterStatus` (hash
    `<userId>#<status>`), reading one attribute. The one place realtime knows that table's design."""
    people: set[str] = set()
    for index, key, other in (
        ("byCreatorStatus", "creatorStatus", "requesterId"),
        ("byRequesterStatus", "requesterStatus", "creatorId"),
    ):
        for status in SHARING_NDA_STATUSES:
            kwargs: dict[str, Any] = {
                "TableName": table_name("NDAS_TABLE", "NdasTable"),
                "IndexName": index,
                "KeyConditionExpression": "#key = :key",
                "ExpressionAttributeNames": {"#key": key},
                "ExpressionAttributeValues": {":key": {"S": f"{user_id}#{status}"}},
                "ProjectionExpression": other,
            }
            while True:
                page = aws_client("dynamodb").query(**kwargs)
                people.update(item[other]["S"] for item in page.get("Items", []) if other in item)
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    people.discard(user_id)
    return people


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
