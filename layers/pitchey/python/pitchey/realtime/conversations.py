"""Who takes part in a conversation, for the `typing` action.

One GetItem on the messages context's Conversations table (key `id`, attribute `participantIds`, a list of
user ids), so realtime does not depend on that context's models. The one place realtime knows that table."""

from __future__ import annotations

from typing import Any

from pitchey.core.config import table_name

_dynamodb: Any = None


def _client() -> Any:
    global _dynamodb
    if _dynamodb is None:
        import boto3

        _dynamodb = boto3.client("dynamodb")
    return _dynamodb


def participants_of(conversation_id: str) -> list[str] | None:
    """The participant ids, or None if there is no such conversation."""
    response = _client().get_item(
        TableName=table_name("CONVERSATIONS_TABLE", "ConversationsTable"),
        Key={"id": {"S": conversation_id}},
        ProjectionExpression="participantIds",
        ConsistentRead=True,
    )
    item = response.get("Item")
    if not item:
        return None
    return [value["S"] for value in item.get("participantIds", {}).get("L", []) if "S" in value]
