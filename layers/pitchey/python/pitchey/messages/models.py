"""Messaging persistence: conversations, each user's membership (unread count, read position), messages
keyed by their sequence number, read receipts, blocks and attachment uploads (docs/data-model.md)."""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core.config import table_name
from pitchey.core.models import TableMeta


class Participant(MapAttribute):
    user_id = UnicodeAttribute(attr_name="userId")
    username = UnicodeAttribute()
    user_type = UnicodeAttribute(attr_name="userType")


class Conversation(Model):
    """The id is derived from the pair (and pitch), so creating it is a conditional put on that key: two
    users writing first at once make one conversation. `seq` is the last message's number (atomic ADD)."""

    class Meta(TableMeta):
        table_name = table_name("CONVERSATIONS_TABLE", "ConversationsTable")

    id = UnicodeAttribute(hash_key=True)
    type = UnicodeAttribute()  # direct | pitch
    pitch_id = UnicodeAttribute(null=True, attr_name="pitchId")
    participant_ids = ListAttribute(of=UnicodeAttribute, attr_name="participantIds")
    participants = ListAttribute(of=Participant)
    seq = NumberAttribute(default=0)
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")


class MembersByActivity(GlobalSecondaryIndex):
    """A user's conversations, latest activity first."""

    class Meta:
        index_name = "byActivity"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    activity_at = UnicodeAttribute(range_key=True, attr_name="activityAt")


class ConversationMember(Model):
    """One participant of one conversation: what they have read and how much they have not."""

    class Meta(TableMeta):
        table_name = table_name("CONVERSATION_MEMBERS_TABLE", "ConversationMembersTable")

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    conversation_id = UnicodeAttribute(range_key=True, attr_name="conversationId")
    activity_at = UnicodeAttribute(attr_name="activityAt")  # microsecond ISO of the last message
    unread_count = NumberAttribute(default=0, attr_name="unreadCount")
    last_read_seq = NumberAttribute(default=0, attr_name="lastReadSeq")
    last_read_at = UnicodeAttribute(null=True, attr_name="lastReadAt")
    joined_at = UnicodeAttribute(attr_name="joinedAt")

    by_activity = MembersByActivity()


class StoredAttachment(MapAttribute):
    id = UnicodeAttribute()
    file_name = UnicodeAttribute(attr_name="fileName")
    content_type = UnicodeAttribute(attr_name="contentType")
    size_bytes = NumberAttribute(attr_name="sizeBytes")
    s3_key = UnicodeAttribute(attr_name="s3Key")


class Message(Model):
    """Keyed (conversationId, seq): pages newest first are exact however many messages arrive meanwhile.
    The table's stream pushes each stored message (and its edits) to the other participants."""

    class Meta(TableMeta):
        table_name = table_name("MESSAGES_TABLE", "MessagesTable")

    conversation_id = UnicodeAttribute(hash_key=True, attr_name="conversationId")
    seq = NumberAttribute(range_key=True)
    id = UnicodeAttribute()
    sender_id = UnicodeAttribute(attr_name="senderId")
    body = UnicodeAttribute(null=True)  # null once deleted
    attachments = ListAttribute(of=StoredAttachment, default=list)
    created_at = UnicodeAttribute(attr_name="createdAt")
    edited_at = UnicodeAttribute(null=True, attr_name="editedAt")
    deleted_at = UnicodeAttribute(null=True, attr_name="deletedAt")


class ReadReceipt(Model):
    """One `POST …/read` that moved a reader forward: it covers seqs fromSeq..upToSeq. The stream pushes it
    as a `read_receipt` frame; a message's readBy is the first receipt at or above its seq."""

    class Meta(TableMeta):
        table_name = table_name("READ_RECEIPTS_TABLE", "ReadReceiptsTable")

    reader_key = UnicodeAttribute(hash_key=True, attr_name="readerKey")  # <conversationId>#<userId>
    up_to_seq = NumberAttribute(range_key=True, attr_name="upToSeq")
    from_seq = NumberAttribute(attr_name="fromSeq")
    conversation_id = UnicodeAttribute(attr_name="conversationId")
    user_id = UnicodeAttribute(attr_name="userId")
    up_to_message_id = UnicodeAttribute(attr_name="upToMessageId")
    read_at = UnicodeAttribute(attr_name="readAt")


def reader_key(conversation_id: str, user_id: str) -> str:
    return f"{conversation_id}#{user_id}"


class BlocksByBlocker(GlobalSecondaryIndex):
    class Meta:
        index_name = "byBlocker"
        projection = AllProjection()

    blocker_id = UnicodeAttribute(hash_key=True, attr_name="blockerId")
    blocked_at = UnicodeAttribute(range_key=True, attr_name="blockedAt")


class Block(Model):
    """`<blockerId>#<blockedId>`: one key, so a send checks it inside its transaction (ConditionCheck)."""

    class Meta(TableMeta):
        table_name = table_name("BLOCKS_TABLE", "BlocksTable")

    key = UnicodeAttribute(hash_key=True)
    blocker_id = UnicodeAttribute(attr_name="blockerId")
    blocked_id = UnicodeAttribute(attr_name="blockedId")
    blocked_username = UnicodeAttribute(attr_name="blockedUsername")  # usernames cannot change
    blocked_at = UnicodeAttribute(attr_name="blockedAt")

    by_blocker = BlocksByBlocker()


def block_key(blocker_id: str, blocked_id: str) -> str:
    return f"{blocker_id}#{blocked_id}"


class Attachment(Model):
    """An upload announced by its sender; a send claims it (messageId set, TTL removed). Unclaimed records
    expire by TTL."""

    class Meta(TableMeta):
        table_name = table_name("MESSAGE_ATTACHMENTS_TABLE", "MessageAttachmentsTable")

    id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute(attr_name="ownerId")
    file_name = UnicodeAttribute(attr_name="fileName")
    content_type = UnicodeAttribute(attr_name="contentType")
    size_bytes = NumberAttribute(attr_name="sizeBytes")
    s3_key = UnicodeAttribute(attr_name="s3Key")
    created_at = UnicodeAttribute(attr_name="createdAt")
    message_id = UnicodeAttribute(null=True, attr_name="messageId")
    ttl = NumberAttribute(null=True)


class SystemMessageClaim(Model):
    """`system-message#<purpose>` in UniqueKeysTable, put in the same transaction as the system message it
    names: a retried step that posts it again finds the claim and posts nothing."""

    class Meta(TableMeta):
        table_name = table_name("UNIQUE_KEYS_TABLE", "UniqueKeysTable")

    key = UnicodeAttribute(hash_key=True)
    conversation_id = UnicodeAttribute(attr_name="conversationId")
    message_id = UnicodeAttribute(attr_name="messageId")
    created_at = UnicodeAttribute(attr_name="createdAt")


def system_message_key(purpose: str) -> str:
    return f"system-message#{purpose}"
