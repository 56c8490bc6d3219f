"""Messaging: direct and pitch conversations between two users, messages numbered per conversation, read
receipts, edits within a window, soft deletes. Only participants see anything (404 for everyone else).

A send is one transaction: the conversation's `seq` moves from N to N+1 (conditional on N, so concurrent
sends each get their own number, in one order) together with the message put at that seq, the members'
activity and unread counters, the recipients' blocks (a ConditionCheck: a block is read on every send), the
attachments it claims and the payment for it. The Messages table's stream then pushes the stored message.
"""

from __future__ import annotations

import html
import itertools
import random
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from pynamodb.exceptions import UpdateError

from pitchey.auth.context import AuthUser
from pitchey.core import clock, storage
from pitchey.core.db import Page, PageRequest, Transaction, TransactionCancelled, query_page, transact
from pitchey.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pitchey.core.log import logger
from pitchey.messages import attachments, rules
from pitchey.messages.models import (
    Attachment,
    Block,
    Conversation,
    ConversationMember,
    Message,
    Participant,
    ReadReceipt,
    StoredAttachment,
    SystemMessageClaim,
    block_key,
    reader_key,
    system_message_key,
)
from pitchey.messages.schemas import EditMessage, MarkRead, SendMessage
from pitchey.payments import service as payments

MAX_ID_LENGTH = 128
# Each lost race means another message took the next seq, so every send gets through eventually; the budget
# (well inside MessageSendFunction's timeout) turns a pathological pile-up into a 409 instead of a timeout.
SEND_BUDGET_SECONDS = 20
READ_ATTEMPTS = 10
DOWNLOAD_SECONDS = 15 * 60
WINDOW_CLOSED = "Messages can be edited only shortly after sending"
# The sender of messages Pitchey itself posts (e.g. "NDA signed"): no user has this id, so nobody can
# edit or delete them, and every participant is a recipient.
SYSTEM_SENDER = "system"


# --- loading: participants only -------------------------------------------------------------------------
def find_conversation(conversation_id: str) -> Conversation | None:
    if not 0 < len(conversation_id) <= MAX_ID_LENGTH:
        return None
    try:
        return Conversation.get(conversation_id, consistent_read=True)
    except Conversation.DoesNotExist:
        return None


def load_conversation(user_id: str, conversation_id: str) -> Conversation:
    conversation = find_conversation(conversation_id)
    if conversation is None or user_id not in conversation.participant_ids:
        raise NotFound("Conversation not found")
    return conversation


def load_message(user_id: str, message_id: str) -> tuple[Conversation, Message]:
    parsed = rules.parse_message_id(message_id)
    if parsed is None:
        raise NotFound("Message not found")
    conversation_id, seq = parsed
    conversation = find_conversation(conversation_id)
    if conversation is None or user_id not in conversation.participant_ids or seq > conversation.seq:
        raise NotFound("Message not found")
    try:
        return conversation, Message.get(conversation_id, seq, consistent_read=True)
    except Message.DoesNotExist:
        raise NotFound("Message not found") from None


# --- rendering ------------------------------------------------------------------------------------------
def seconds(timestamp: str | None) -> str | None:
    """Stored timestamps keep microseconds (order); the API shows seconds."""
    return clock.iso(clock.from_iso(timestamp)) if timestamp else None


def _attachment_to_api(item: StoredAttachment) -> dict[str, Any]:
    return {
        "id": item.id,
        "fileName": item.file_name,
        "contentType": item.content_type,
        "sizeBytes": int(item.size_bytes),
    }


def message_to_api(message: Message, read_by: list[dict[str, str]]) -> dict[str, Any]:
    deleted = message.deleted_at is not None
    return {
        "id": message.id,
        "conversationId": message.conversation_id,
        "seq": int(message.seq),
        "senderId": message.sender_id,
        "body": None if deleted else message.body,
        "attachments": [] if deleted else [_attachment_to_api(a) for a in message.attachments or []],
        "createdAt": seconds(message.created_at),
        "editedAt": seconds(message.edited_at),
        "deletedAt": seconds(message.deleted_at),
        "readBy": [entry for entry in read_by if entry["userId"] != message.sender_id],
        "system": message.sender_id == SYSTEM_SENDER,
    }


def _receipts(conversation: Conversation, low: int, high: int) -> Iterable[tuple[str, int, str]]:
    """(userId, upToSeq, readAt) of each participant's receipts from the first reaching `low` to the first
    reaching `high`: all that is needed to say who read seqs low..high, and when."""
    for user_id in conversation.participant_ids:
        query = ReadReceipt.query(
            reader_key(conversation.id, user_id), ReadReceipt.up_to_seq >= low, consistent_read=True
        )
        for receipt in query:
            yield user_id, int(receipt.up_to_seq), seconds(receipt.read_at) or ""
            if receipt.up_to_seq >= high:
                break


def render_messages(conversation: Conversation, messages: list[Message]) -> list[dict[str, Any]]:
    if not messages:
        return []
    seqs = [int(m.seq) for m in messages]
    read = rules.read_by(seqs, _receipts(conversation, min(seqs), max(seqs)))
    return [message_to_api(message, read[int(message.seq)]) for message in messages]


def _render_conversations(user_id: str, conversations: list[Conversation]) -> list[dict[str, Any]]:
    """API.md's `conversation` for each: its last message (with who read it) and the caller's unread count.
    Three batched reads for the whole list: the members, the last messages."""
    member_keys = [(uid, c.id) for c in conversations for uid in c.participant_ids]
    members = {
        (m.user_id, m.conversation_id): m
        for m in ConversationMember.batch_get(member_keys, consistent_read=True)
    }
    last_keys = [(c.id, int(c.seq)) for c in conversations if c.seq]
    last = {m.conversation_id: m for m in Message.batch_get(last_keys, consistent_read=True)}
    rows = []
    for conversation in conversations:
        message = last.get(conversation.id)
        last_message = None
        if message is not None:
            # The last message was read by whoever's read position reached it, at their latest read.
            read_by = [
                {"userId": uid, "readAt": seconds(member.last_read_at) or ""}
                for uid in conversation.participant_ids
                if (member := members.get((uid, conversation.id))) and member.last_read_seq >= message.seq
            ]
            last_message = message_to_api(message, read_by)
        mine = members.get((user_id, conversation.id))
        rows.append(
            {
                "id": conversation.id,
                "type": conversation.type,
                "pitchId": conversation.pitch_id,
                "participants": [
                    {"userId": p.user_id, "username": p.username, "userType": p.user_type}
                    for p in conversation.participants
                ],
                "lastMessage": last_message,
                "unreadCount": max(0, int(mine.unread_count)) if mine else 0,
                "createdAt": seconds(conversation.created_at),
                "updatedAt": seconds(conversation.updated_at),
            }
        )
    return rows


def get_conversation(user_id: str, conversation_id: str) -> dict[str, Any]:
    return _render_conversations(user_id, [load_conversation(user_id, conversation_id)])[0]


def list_conversations(user_id: str, page: PageRequest) -> Page[dict[str, Any]]:
    """Latest activity first (the members index), one page of conversations."""
    members = query_page(
        ConversationMember,
        lambda **kw: ConversationMember.by_activity.query(user_id, scan_index_forward=False, **kw),
        ("userId", "conversationId", "activityAt"),
        page=page,
        scope=f"conversations|{user_id}",
    )
    ids = [member.conversation_id for member in members.items]
    found = {c.id: c for c in Conversation.batch_get(ids, consistent_read=True)} if ids else {}
    return replace(members, items=_render_conversations(user_id, [found[i] for i in ids if i in found]))


def list_messages(user_id: str, conversation_id: str, page: PageRequest) -> Page[dict[str, Any]]:
    """Newest first by seq: a cursor is a seq, so messages sent meanwhile (higher seqs) never shift a page."""
    conversation = load_conversation(user_id, conversation_id)
    messages = query_page(
        Message,
        lambda **kw: Message.query(conversation.id, scan_index_forward=False, consistent_read=True, **kw),
        ("conversationId", "seq"),
        page=page,
        scope=f"messages|{conversation.id}",
    )
    return replace(messages, items=render_messages(conversation, messages.items))


# --- sending --------------------------------------------------------------------------------------------
def _participant(user_id: str) -> Participant:
    from pitchey.users.service import get_user

    user = get_user(user_id)
    return Participant(user_id=user.id, username=user.username, user_type=user.user_type)


def _target(sender_id: str, body: SendMessage) -> Conversation:
    """The conversation this send goes to: an existing one the sender is in, or the pair's (and pitch's)
    conversation, unsaved if this is its first message."""
    if body.conversation_id is not None:
        return load_conversation(sender_id, body.conversation_id)
    recipient_id = body.recipient_id or ""
    if recipient_id == sender_id:
        raise ValidationFailed.field("recipientId", "You cannot message yourself")
    recipient = _participant(recipient_id)  # 404 for an unknown user
    if body.pitch_id is not None:
        from pitchey.pitches.service import load_visible

        load_visible(body.pitch_id, sender_id)  # 404 unless the sender may see it
    conversation_id = rules.conversation_id_for(sender_id, recipient_id, body.pitch_id)
    existing = find_conversation(conversation_id)
    if existing is not None:
        return existing
    now = clock.iso_precise()
    return Conversation(
        conversation_id,
        type="pitch" if body.pitch_id else "direct",
        pitch_id=body.pitch_id,
        participant_ids=[sender_id, recipient_id],
        participants=[_participant(sender_id), recipient],
        seq=0,
        created_at=now,
        updated_at=now,
    )


def charge_for_message(transaction: Transaction, sender: AuthUser, message_id: str) -> None:
    """THE place a send pays (API.md: 2 credits, investors free): the payments context's spend hook adds
    its conditional debit to this transaction, so a message is stored only if it is paid for and a send
    that fails costs nothing (402 INSUFFICIENT_CREDITS when the balance is short)."""
    payments.charge(transaction, payments.Payer(sender.id, sender.role), "message", message_id)


def _write_send(
    transaction: Transaction,
    sender_id: str,
    conversation: Conversation,
    message: Message,
    claimed: list[Attachment],
) -> None:
    """The conversation (created with its members by its first message) moves to the message's seq, the
    members' activity and unread counters with it, the message itself and the attachments it claims."""
    now = message.created_at
    if conversation.seq == 0:  # its first message: create it, with its members
        created = Conversation(
            conversation.id,
            type=conversation.type,
            pitch_id=conversation.pitch_id,
            participant_ids=conversation.participant_ids,
            participants=conversation.participants,
            seq=1,
            created_at=conversation.created_at,
            updated_at=now,
        )
        transaction.put("conversation", created, condition=Conversation.id.does_not_exist())
        for uid in conversation.participant_ids:
            member = ConversationMember(
                uid,
                conversation.id,
                activity_at=now,
                unread_count=0 if uid == sender_id else 1,
                last_read_seq=0,
                joined_at=now,
            )
            transaction.put("member", member)
    else:
        transaction.update(
            "conversation",
            Conversation(conversation.id),
            [Conversation.seq.add(1), Conversation.updated_at.set(now)],
            condition=Conversation.seq == conversation.seq,
        )
        for uid in conversation.participant_ids:
            actions = [ConversationMember.activity_at.set(now)]
            if uid != sender_id:
                actions.append(ConversationMember.unread_count.add(1))
            transaction.update("member", ConversationMember(uid, conversation.id), actions)
    transaction.put("message", message, condition=Message.seq.does_not_exist())
    for item in claimed:
        transaction.update(
            "attachment",
            Attachment(item.id),
            [Attachment.message_id.set(message.id), Attachment.ttl.remove()],
            condition=(Attachment.owner_id == sender_id) & Attachment.message_id.does_not_exist(),
        )


def _write_user_send(
    transaction: Transaction,
    sender: AuthUser,
    conversation: Conversation,
    message: Message,
    claimed: list[Attachment],
) -> None:
    """A user's send: the message, the recipients' blocks (ConditionChecks) and its payment."""
    _write_send(transaction, sender.id, conversation, message, claimed)
    for uid in conversation.participant_ids:
        if uid != sender.id:
            transaction.check("block", Block, block_key(uid, sender.id), condition=Block.key.does_not_exist())
    charge_for_message(transaction, sender, message.id)


def send(sender: AuthUser, body: SendMessage) -> dict[str, Any]:
    problems = body.problems()
    if problems:
        raise ValidationFailed("Request validation failed", details=problems)
    conversation = _target(sender.id, body)
    claimed = attachments.claimable(sender.id, body.attachment_ids or [])
    stored = [
        StoredAttachment(
            id=a.id,
            file_name=a.file_name,
            content_type=a.content_type,
            size_bytes=a.size_bytes,
            s3_key=a.s3_key,
        )
        for a in claimed
    ]
    deadline = time.monotonic() + SEND_BUDGET_SECONDS
    for attempt in itertools.count():
        seq = int(conversation.seq) + 1
        message = Message(
            conversation.id,
            seq,
            id=rules.message_id(conversation.id, seq),
            sender_id=sender.id,
            body=body.body,
            attachments=stored,
            created_at=clock.iso_precise(),
        )
        try:
            payments.run_charged(
                lambda t, m=message, c=conversation: _write_user_send(t, sender, c, m, claimed)
            )
            break
        except TransactionCancelled as cancelled:
            if "block" in cancelled.failed:
                raise Forbidden("This user does not accept your messages", code="BLOCKED") from None
            if "attachment" in cancelled.failed:
                raise ValidationFailed.field("attachmentIds", "An attachment was already sent") from None
            if not cancelled.failed.keys() <= {"conversation", "message", *payments.CHARGE_ITEMS}:
                raise
        # Another message took this seq (or created the conversation first, or moved the sender's credits
        # at the same moment): read the new state and retry.
        if time.monotonic() > deadline:
            raise Conflict("Too many messages at once here; try again", code="CONCURRENT_UPDATE")
        time.sleep(random.uniform(0, 0.02 * 2 ** min(attempt, 5)))
        latest = find_conversation(conversation.id)
        if latest is None:
            raise Conflict("The conversation changed; try again", code="CONCURRENT_UPDATE")
        conversation = latest
    _notify_recipients(conversation, message)
    return message_to_api(message, [])


def _notify_recipients(conversation: Conversation, message: Message) -> None:
    """A `message` notification to each other participant (in-app, live and by their email preference).
    The message is stored; a lost notification must not turn the send into an error."""
    from pitchey.notifications.service import notify

    sender = next((p for p in conversation.participants if p.user_id == message.sender_id), None)
    name = html.escape(sender.username if sender else "Someone")
    for user_id in conversation.participant_ids:
        if user_id == message.sender_id:
            continue
        try:
            notify(
                user_id,
                "message",
                f"New message from {name}",
                f"{name}: {rules.preview(message.body or '')}",
                {"conversationId": conversation.id, "messageId": message.id, "senderId": message.sender_id},
            )
        except Exception:
            logger.exception("message notification failed", extra={"recipient_id": user_id})


def post_system_message(user_a: str, user_b: str, pitch_id: str | None, body: str, purpose: str) -> str:
    """Opens (or continues) the conversation of two users (about a pitch) with a message from Pitchey,
    exactly once per `purpose`: the message and the claim `system-message#<purpose>` are one transaction,
    so a retry finds the claim and posts nothing. Both users get it in their list, unread; blocks do not
    stop it (it states a fact, not a user's words) and it costs nothing. Returns the message id."""
    claim_key = system_message_key(purpose)
    conversation_id = rules.conversation_id_for(user_a, user_b, pitch_id)
    deadline = time.monotonic() + SEND_BUDGET_SECONDS
    for attempt in itertools.count():
        try:
            return SystemMessageClaim.get(claim_key, consistent_read=True).message_id
        except SystemMessageClaim.DoesNotExist:
            pass
        conversation = find_conversation(conversation_id)
        if conversation is None:
            now = clock.iso_precise()
            conversation = Conversation(
                conversation_id,
                type="pitch" if pitch_id else "direct",
                pitch_id=pitch_id,
                participant_ids=[user_a, user_b],
                participants=[_participant(user_a), _participant(user_b)],
                seq=0,
                created_at=now,
                updated_at=now,
            )
        seq = int(conversation.seq) + 1
        now = clock.iso_precise()
        message = Message(
            conversation_id,
            seq,
            id=rules.message_id(conversation_id, seq),
            sender_id=SYSTEM_SENDER,
            body=body,
            attachments=[],
            created_at=now,
        )
        claim = SystemMessageClaim(
            claim_key, conversation_id=conversation_id, message_id=message.id, created_at=now
        )

        def write(transaction: Transaction, c=conversation, m=message, once=claim) -> None:
            _write_send(transaction, SYSTEM_SENDER, c, m, [])
            transaction.put("claim", once, condition=SystemMessageClaim.key.does_not_exist())

        try:
            transact(write)
            return message.id
        except TransactionCancelled as cancelled:
            if not cancelled.failed.keys() <= {"conversation", "message", "claim"}:
                raise
        # Another message took this seq, or a parallel run of this step posted first: read again.
        if time.monotonic() > deadline:
            raise Conflict("Too many messages at once here; try again", code="CONCURRENT_UPDATE")
        time.sleep(random.uniform(0, 0.02 * 2 ** min(attempt, 5)))
    raise AssertionError("itertools.count() does not end")


# --- reading --------------------------------------------------------------------------------------------
def _unread_between(conversation_id: str, user_id: str, after: int, up_to: int) -> int:
    """Messages of the others with after < seq <= up_to: what the reader's unread counter holds for them."""
    return Message.count(
        conversation_id,
        Message.seq.between(after + 1, up_to),
        filter_condition=Message.sender_id != user_id,
        consistent_read=True,
    )


def mark_read(user_id: str, conversation_id: str, body: MarkRead) -> dict[str, int]:
    """Moves the caller's read position forward to a message (default: the latest) → {count} newly read.
    The receipt written with it reaches the other participants as a `read_receipt` frame."""
    conversation = load_conversation(user_id, conversation_id)
    target = int(conversation.seq)
    if body.up_to_message_id is not None:
        parsed = rules.parse_message_id(body.up_to_message_id)
        if parsed is None or parsed[0] != conversation.id or not 1 <= parsed[1] <= target:
            raise ValidationFailed.field("upToMessageId", "Not a message of this conversation")
        target = parsed[1]
    for _ in range(READ_ATTEMPTS):
        count = _advance_read(conversation.id, user_id, target)
        if count is not None:
            return {"count": count}
    raise Conflict("The conversation is being read elsewhere; try again", code="CONCURRENT_UPDATE")


def _advance_read(conversation_id: str, user_id: str, target: int) -> int | None:
    """One attempt: the reader's position to `target` with its receipt. Returns how many messages that
    newly read, or None if another read of this user moved the position meanwhile (count again)."""
    member = ConversationMember.get(user_id, conversation_id, consistent_read=True)
    start = int(member.last_read_seq)
    if target <= start:
        return 0
    count = _unread_between(conversation_id, user_id, start, target)
    now = clock.iso_precise()
    receipt = ReadReceipt(
        reader_key(conversation_id, user_id),
        target,
        from_seq=start + 1,
        conversation_id=conversation_id,
        user_id=user_id,
        up_to_message_id=rules.message_id(conversation_id, target),
        read_at=now,
    )

    def write(transaction: Transaction) -> None:
        transaction.update(
            "member",
            ConversationMember(user_id, conversation_id),
            [
                ConversationMember.last_read_seq.set(target),
                ConversationMember.last_read_at.set(now),
                ConversationMember.unread_count.add(-count),
            ],
            condition=ConversationMember.last_read_seq == start,
        )
        transaction.put("receipt", receipt, condition=ReadReceipt.up_to_seq.does_not_exist())

    try:
        transact(write)
    except TransactionCancelled:
        return None
    return count


# --- editing and deleting -------------------------------------------------------------------------------
def _own(message: Message, user_id: str) -> None:
    if message.sender_id != user_id:
        raise Forbidden("Only the sender can change a message")


def _conditional_failure(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def edit(user_id: str, message_id: str, body: EditMessage) -> dict[str, Any]:
    conversation, message = load_message(user_id, message_id)
    _own(message, user_id)
    if message.deleted_at is not None:
        raise Conflict("This message was deleted", code="MESSAGE_DELETED")
    if not rules.edit_window_open(message.created_at):
        raise Conflict(WINDOW_CLOSED, code="EDIT_WINDOW_CLOSED")
    try:
        message.update(
            actions=[Message.body.set(body.body), Message.edited_at.set(clock.iso_precise())],
            condition=Message.deleted_at.does_not_exist() & (Message.created_at >= rules.edit_cutoff()),
        )
    except UpdateError as error:
        if not _conditional_failure(error):
            raise
        message.refresh(consistent_read=True)
        if message.deleted_at is not None:
            raise Conflict("This message was deleted", code="MESSAGE_DELETED") from None
        raise Conflict(WINDOW_CLOSED, code="EDIT_WINDOW_CLOSED") from None
    return render_messages(conversation, [message])[0]


def delete(user_id: str, message_id: str) -> dict[str, Any]:
    """Soft delete: the message keeps its seq, with body null and deletedAt. Deleting twice is a no-op."""
    conversation, message = load_message(user_id, message_id)
    _own(message, user_id)
    if message.deleted_at is None:
        try:
            message.update(
                actions=[Message.body.remove(), Message.deleted_at.set(clock.iso_precise())],
                condition=Message.deleted_at.does_not_exist(),
            )
        except UpdateError as error:
            if not _conditional_failure(error):
                raise
            message.refresh(consistent_read=True)
    return render_messages(conversation, [message])[0]


def attachment_download(user_id: str, message_id: str, attachment_id: str) -> dict[str, Any]:
    """A presigned GET for a participant; others, deleted messages and unknown attachments 404."""
    _, message = load_message(user_id, message_id)
    found = next((a for a in message.attachments or [] if a.id == attachment_id), None)
    if message.deleted_at is not None or found is None:
        raise NotFound("Attachment not found")
    return storage.download_grant(found.s3_key, found.file_name, "attachment", DOWNLOAD_SECONDS)
