"""Who takes part in a conversation, for the `typing` action.

One GetItem on the messages context's Conversations table (key `id`, attribute `participantIds`, a list of
user ids), so realtime does not depend on that context's models. The one place realtime knows that table."""

from __future__ import annotations

from pitchey.core.config import aws_client, table_name


def participants_of(conversation_id: str) -> list[str] | None:
    """The participant ids, or None if there is no such conversation."""
    response = aws_client("dynamodb").get_item(
        TableName=table_name("CONVERSATIONS_TABLE", "ConversationsTable"),
        Key={"id": {"S": conversation_id}},
        ProjectionExpression="participantIds",
        ConsistentRead=True,
    )
    item = response.get("Item")
    if not item:
        return None
    return [value["S"] for value in item.get("participantIds", {}).get("L", []) if "S" in value]
