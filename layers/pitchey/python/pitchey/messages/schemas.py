"""Request bodies for messaging. Ids, sender, seq, timestamps and readBy are server-owned (422 if sent)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt

from pitchey.core.schemas import InputModel

MAX_BODY_CHARS = 5000
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024

Body = Annotated[str, Field(min_length=1, max_length=MAX_BODY_CHARS)]
Id = Annotated[str, Field(min_length=1, max_length=128)]


class SendMessage(InputModel):
    recipient_id: Id | None = None
    conversation_id: Id | None = None
    body: Body
    pitch_id: Id | None = None
    attachment_ids: Annotated[list[Id], Field(max_length=MAX_ATTACHMENTS)] | None = None

    def problems(self) -> list[dict[str, str]]:
        """Rules across fields, as 422 details."""
        found = []
        if (self.recipient_id is None) == (self.conversation_id is None):
            found.append(
                {"field": "recipientId", "message": "Send to exactly one of recipientId or conversationId"}
            )
        if self.pitch_id is not None and self.conversation_id is not None:
            found.append({"field": "pitchId", "message": "pitchId goes with recipientId, not conversationId"})
        if self.attachment_ids and len(set(self.attachment_ids)) != len(self.attachment_ids):
            found.append({"field": "attachmentIds", "message": "attachmentIds must not repeat"})
        return found


class EditMessage(InputModel):
    body: Body


class MarkRead(InputModel):
    up_to_message_id: Id | None = None


class CreateAttachment(InputModel):
    file_name: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[
        str, Field(pattern=r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$", max_length=127)
    ]
    size_bytes: Annotated[StrictInt, Field(ge=1, le=MAX_ATTACHMENT_BYTES)]
