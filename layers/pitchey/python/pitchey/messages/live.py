"""Live delivery from the stored items (the Messages and ReadReceipts streams): a new or changed message is a
`chat_message` frame, a receipt a `read_receipt` frame, to every connection of the other participants. An
offline participant loses nothing: the message is stored and listed."""

from __future__ import annotations

from typing import Any

from pitchey.messages import service
from pitchey.messages.models import Message, ReadReceipt
from pitchey.realtime.service import push_to_users

# A change to one of these is a new version of the message for the clients; others (none today) are not.
_VISIBLE = ("body", "editedAt", "deletedAt", "attachments")


def _changed(record: dict[str, Any]) -> bool:
    if record.get("eventName") == "INSERT":
        return True
    old, new = record["dynamodb"].get("OldImage") or {}, record["dynamodb"].get("NewImage") or {}
    return any(old.get(name) != new.get(name) for name in _VISIBLE)


def deliver(record: dict[str, Any]) -> int:
    """Frames for one stream record; returns how many connections got one. Raises when worth a retry."""
    image = (record.get("dynamodb") or {}).get("NewImage")
    if record.get("eventName") not in ("INSERT", "MODIFY") or not image:
        return 0
    if "readerKey" in image:
        return _deliver_receipt(ReadReceipt.from_raw_data(image)) if record["eventName"] == "INSERT" else 0
    if not _changed(record):
        return 0
    message = Message.from_raw_data(image)
    conversation = service.find_conversation(message.conversation_id)
    if conversation is None:
        return 0
    data = service.render_messages(conversation, [message])[0]
    others = [uid for uid in conversation.participant_ids if uid != message.sender_id]
    return push_to_users(others, "chat_message", data)


def _deliver_receipt(receipt: ReadReceipt) -> int:
    conversation = service.find_conversation(receipt.conversation_id)
    if conversation is None:
        return 0
    data = {
        "conversationId": receipt.conversation_id,
        "userId": receipt.user_id,
        "upToMessageId": receipt.up_to_message_id,
        "readAt": service.seconds(receipt.read_at),
    }
    others = [uid for uid in conversation.participant_ids if uid != receipt.user_id]
    return push_to_users(others, "read_receipt", data)
