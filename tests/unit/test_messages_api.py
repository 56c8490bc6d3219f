"""Messaging through its handlers (moto in-process): sends, conversations, pages, receipts, edits, deletes,
blocks, attachments, and the races that must not double-create or skip a seq."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import boto3
import pytest

from pitchey.core import clock, storage
from pitchey.messages.models import Conversation, ConversationMember, Message
from pitchey.notifications.models import Notification
from tests.unit import messages_support as chat
from tests.unit.accounts import make_user
from tests.unit.pitches_support import create_pitch, published_pitch


@pytest.fixture
def people(aws):
    return make_user("creator"), make_user("investor"), make_user("production")


def convo(actor, other, body="hello", **extra):
    return chat.send_ok(actor, recipientId=other.id, body=body, **extra)


# --- sending --------------------------------------------------------------------------------------------
def test_a_first_message_opens_the_direct_conversation(people):
    alice, bob, _ = people
    message = convo(alice, bob, "Hi Bob")
    assert set(message) == {
        "id",
        "conversationId",
        "seq",
        "senderId",
        "body",
        "attachments",
        "createdAt",
        "editedAt",
        "deletedAt",
        "readBy",
        "system",  # addition of #21: true only for messages Pitchey posts (senderId "system")
    }
    assert message["system"] is False
    assert message["seq"] == 1 and message["senderId"] == alice.id and message["body"] == "Hi Bob"
    assert message["readBy"] == [] and message["attachments"] == [] and message["createdAt"].endswith("Z")

    listed = chat.conversations(bob)
    assert listed.status == 200 and len(listed.data) == 1
    row = listed.data[0]
    assert row["id"] == message["conversationId"] and row["type"] == "direct" and row["pitchId"] is None
    assert row["unreadCount"] == 1 and row["lastMessage"]["id"] == message["id"]
    types = {p["userId"]: p["userType"] for p in row["participants"]}
    assert types == {alice.id: "creator", bob.id: "investor"}
    assert chat.conversations(alice).data[0]["unreadCount"] == 0

    reply = chat.send_ok(bob, recipientId=alice.id, body="Hi Alice")  # the same pair: the same conversation
    assert reply["conversationId"] == message["conversationId"] and reply["seq"] == 2
    again = chat.send_ok(alice, conversationId=message["conversationId"], body="Third")
    assert again["seq"] == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "x"}, "recipientId"),
        ({"body": "x", "recipientId": "a", "conversationId": "b"}, "recipientId"),
        ({"recipientId": "a"}, "body"),
        ({"recipientId": "a", "body": "   "}, "body"),
        ({"recipientId": "a", "body": "x" * 5001}, "body"),
        ({"recipientId": "a", "body": 5}, "body"),
        ({"recipientId": "a", "body": "x", "senderId": "me"}, "senderId"),
        ({"recipientId": "a", "body": "x", "seq": 7}, "seq"),
        ({"conversationId": "c", "body": "x", "pitchId": "p"}, "pitchId"),
        ({"recipientId": "a", "body": "x", "attachmentIds": ["1", "1"]}, "attachmentIds"),
    ],
)
def test_bad_sends_are_422_with_the_field(people, body, field):
    answer = chat.send(people[0], **body)
    assert answer.status == 422 and answer.code == "VALIDATION_ERROR"
    assert field in {detail["field"] for detail in answer.body["error"]["details"]}


def test_body_limits_yourself_and_unknown_recipients(people):
    alice, bob, _ = people
    assert chat.send(alice, recipientId=bob.id, body="x" * 5000).status == 201
    assert chat.send(alice, recipientId=alice.id, body="me").status == 422
    assert chat.send(alice, recipientId="nobody-at-all", body="hi").status == 404
    assert chat.send(alice, conversationId="nope", body="hi").status == 404


def test_pitch_conversations_are_one_per_pair_and_pitch(people):
    creator, investor, _ = people
    pitch = published_pitch(creator)
    direct = convo(investor, creator)
    about = convo(investor, creator, "About your pitch", pitchId=pitch["id"])
    assert about["conversationId"] != direct["conversationId"]
    back = convo(creator, investor, "Thanks", pitchId=pitch["id"])
    assert back["conversationId"] == about["conversationId"] and back["seq"] == 2
    shown = chat.conversation(creator, about["conversationId"]).data
    assert shown["type"] == "pitch" and shown["pitchId"] == pitch["id"]

    draft = create_pitch(creator)  # not published: only its creator may see it
    assert chat.send(investor, recipientId=creator.id, body="?", pitchId=draft["id"]).status == 404
    assert chat.send(investor, recipientId=creator.id, body="?", pitchId="no-such-pitch").status == 404
    assert chat.send(creator, recipientId=investor.id, body="my draft", pitchId=draft["id"]).status == 201


def test_a_third_user_gets_404_on_every_route(people):
    alice, bob, eve = people
    message = convo(alice, bob)
    cid, mid = message["conversationId"], message["id"]
    answers = [
        chat.conversation(eve, cid),
        chat.messages(eve, cid),
        chat.read(eve, cid),
        chat.send(eve, conversationId=cid, body="let me in"),
        chat.edit(eve, mid, "mine now"),
        chat.delete(eve, mid),
        chat.attachment_url(eve, mid, "any"),
    ]
    assert [(a.status, a.code) for a in answers] == [(404, "NOT_FOUND")] * len(answers)
    assert chat.conversations(eve).data == []
    assert Message.get(cid, 1).body == "hello"


def test_the_recipient_is_notified_with_the_body_escaped(people):
    alice, bob, _ = people
    message = convo(alice, bob, "<script>alert('x')</script> & more")
    (note,) = list(Notification.query(bob.id))
    assert note.type == "message"
    assert "<script>" not in note.body and "&lt;script&gt;" in note.body
    expected = {"conversationId": message["conversationId"], "messageId": message["id"], "senderId": alice.id}
    assert note.data == expected
    assert list(Notification.query(alice.id)) == []


# --- races ----------------------------------------------------------------------------------------------
def test_ten_concurrent_first_messages_from_both_sides_make_one_conversation(people):
    alice, bob, carol = people
    convo(carol, alice)  # warm the handler, so the race is between sends, not imports
    senders = [(alice, bob), (bob, alice)] * 5
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda p: chat.send(p[0], recipientId=p[1].id, body="first!"), senders))
    assert [a.status for a in answers] == [201] * 10
    assert len({a.data["conversationId"] for a in answers}) == 1
    assert sorted(a.data["seq"] for a in answers) == list(range(1, 11))
    assert len(chat.conversations(bob).data) == 1
    cid = answers[0].data["conversationId"]
    assert Conversation.get(cid).seq == 10
    # Each side's unread count is the other side's messages.
    assert ConversationMember.get(alice.id, cid).unread_count == 5
    assert ConversationMember.get(bob.id, cid).unread_count == 5


def test_concurrent_sends_get_consecutive_seqs_in_one_order(people):
    """30 here (the integration test sends 50 through the runtime)."""
    alice, bob, _ = people
    cid = convo(alice, bob, "start")["conversationId"]
    texts = [f"m{i}" for i in range(30)]

    def one(index):
        sender = alice if index % 2 else bob
        return chat.send(sender, conversationId=cid, body=texts[index])

    with ThreadPoolExecutor(max_workers=15) as pool:
        answers = list(pool.map(one, range(30)))
    assert [a.status for a in answers] == [201] * 30
    assert sorted(a.data["seq"] for a in answers) == list(range(2, 32))
    by_seq = {a.data["seq"]: a.data["body"] for a in answers}

    listed = []
    cursor = None
    while True:
        page = chat.messages(bob, cid, limit="7", **({"cursor": cursor} if cursor else {}))
        listed += page.data
        cursor = page.body["metadata"]["nextCursor"]
        if not cursor:
            break
    assert [m["seq"] for m in listed] == list(range(31, 0, -1))
    assert all(by_seq[m["seq"]] == m["body"] for m in listed if m["seq"] > 1)
    assert sorted(m["body"] for m in listed[:-1]) == sorted(texts)
    # Read twice, the order is the same.
    again = chat.messages(bob, cid, limit="100").data
    assert [m["id"] for m in again] == [m["id"] for m in listed]


def test_pages_stay_exact_while_messages_arrive(people):
    alice, bob, _ = people
    cid = convo(alice, bob, "1")["conversationId"]
    for i in range(2, 26):
        chat.send_ok(alice if i % 2 else bob, conversationId=cid, body=str(i))
    first = chat.messages(alice, cid, limit="10")
    assert [m["seq"] for m in first.data] == list(range(25, 15, -1))
    for i in range(5):  # new messages while paging
        chat.send_ok(bob, conversationId=cid, body=f"late {i}")
    cursor = first.body["metadata"]["nextCursor"]
    second = chat.messages(alice, cid, limit="10", cursor=cursor)
    assert [m["seq"] for m in second.data] == list(range(15, 5, -1))
    third = chat.messages(alice, cid, limit="10", cursor=second.body["metadata"]["nextCursor"])
    assert [m["seq"] for m in third.data] == [5, 4, 3, 2, 1]
    assert third.body["metadata"]["nextCursor"] is None
    assert chat.messages(alice, cid, cursor="forged").status == 400
    other = convo(alice, make_user())["conversationId"]
    assert chat.messages(alice, other, cursor=cursor).status == 400  # a cursor of another conversation


# --- reading --------------------------------------------------------------------------------------------
def test_read_receipts_count_update_unread_and_fill_read_by(people):
    alice, bob, _ = people
    first = convo(alice, bob, "one")
    cid = first["conversationId"]
    second = chat.send_ok(alice, conversationId=cid, body="two")
    chat.send_ok(bob, conversationId=cid, body="bob's own")
    chat.send_ok(alice, conversationId=cid, body="three")
    assert chat.conversation(bob, cid).data["unreadCount"] == 3

    partial = chat.read(bob, cid, upToMessageId=second["id"])
    assert partial.status == 200 and partial.data == {"count": 2}
    assert chat.conversation(bob, cid).data["unreadCount"] == 1
    rest = chat.read(bob, cid)
    assert rest.data == {"count": 1}
    assert chat.read(bob, cid).data == {"count": 0}  # nothing new
    assert chat.read(bob, cid, upToMessageId=first["id"]).data == {"count": 0}  # never backwards
    shown = chat.conversation(bob, cid).data
    assert shown["unreadCount"] == 0 and shown["lastMessage"]["readBy"][0]["userId"] == bob.id

    listed = {m["seq"]: m for m in chat.messages(alice, cid).data}
    assert [r["userId"] for r in listed[1]["readBy"]] == [bob.id]
    assert [r["userId"] for r in listed[4]["readBy"]] == [bob.id]
    assert listed[3]["readBy"] == []  # bob's own message; alice has not read
    assert chat.read(alice, cid).data == {"count": 1}
    assert [r["userId"] for r in chat.messages(bob, cid).data[1]["readBy"]] == [alice.id]


def test_read_rejects_messages_of_other_conversations(people):
    alice, bob, carol = people
    cid = convo(alice, bob)["conversationId"]
    elsewhere = convo(alice, carol)
    for bad in (elsewhere["id"], "junk", f"{cid}-99", f"{cid}-0"):
        answer = chat.read(bob, cid, upToMessageId=bad)
        assert answer.status == 422, bad
    assert chat.read(bob, cid, somethingElse=1).status == 422


def test_concurrent_reads_count_each_message_once(people):
    alice, bob, _ = people
    cid = convo(alice, bob)["conversationId"]
    for i in range(9):
        chat.send_ok(alice, conversationId=cid, body=str(i))
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = [a.data["count"] for a in pool.map(lambda _: chat.read(bob, cid), range(8))]
    assert sum(counts) == 10
    assert ConversationMember.get(bob.id, cid).unread_count == 0


# --- editing and deleting -------------------------------------------------------------------------------
def test_the_sender_edits_within_the_window(people, setenv):
    alice, bob, _ = people
    message = convo(alice, bob, "tpyo")
    edited = chat.edit(alice, message["id"], "typo")
    assert edited.status == 200 and edited.data["body"] == "typo" and edited.data["editedAt"]
    other = chat.edit(bob, message["id"], "not yours")
    assert other.status == 403 and other.code == "FORBIDDEN"
    assert chat.edit(alice, message["id"], "").status == 422
    assert chat.edit(alice, message["id"], "x" * 5001).status == 422

    stored = Message.get(message["conversationId"], 1)
    stored.update(actions=[Message.created_at.set(clock.iso_precise(clock.now() - timedelta(seconds=901)))])
    late = chat.edit(alice, message["id"], "too late")
    assert late.status == 409 and late.code == "EDIT_WINDOW_CLOSED"
    setenv("MESSAGE_EDIT_WINDOW_SECONDS", "3600")  # the Parameter decides
    assert chat.edit(alice, message["id"], "in a longer window").status == 200


def test_soft_delete_keeps_the_message_without_its_body(people):
    alice, bob, _ = people
    message = convo(alice, bob, "oops")
    assert chat.delete(bob, message["id"]).status == 403
    deleted = chat.delete(alice, message["id"])
    assert deleted.status == 200 and deleted.data["body"] is None and deleted.data["deletedAt"]
    assert chat.delete(alice, message["id"]).data["deletedAt"] == deleted.data["deletedAt"]
    (listed,) = chat.messages(bob, message["conversationId"]).data
    assert listed["id"] == message["id"] and listed["body"] is None and listed["deletedAt"]
    edit = chat.edit(alice, message["id"], "back")
    assert edit.status == 409 and edit.code == "MESSAGE_DELETED"
    assert chat.delete(alice, "junk-id").status == 404


# --- blocking -------------------------------------------------------------------------------------------
def test_a_blocked_sender_gets_403_and_nothing_is_stored(people):
    alice, bob, carol = people
    blocked = chat.block(bob, alice.id)
    assert blocked.status == 201 and blocked.data["userId"] == alice.id and blocked.data["blockedAt"]
    assert chat.block(bob, alice.id).status == 200  # again: the same block

    refused = chat.send(alice, recipientId=bob.id, body="hello?")
    assert refused.status == 403 and refused.code == "BLOCKED"
    assert chat.conversations(alice).data == [] and chat.conversations(bob).data == []
    assert chat.send(bob, recipientId=alice.id, body="I may still write").status == 201
    cid = chat.conversations(bob).data[0]["id"]
    assert chat.send(alice, conversationId=cid, body="in the thread").code == "BLOCKED"
    assert chat.send(carol, recipientId=bob.id, body="not blocked").status == 201

    assert [b["userId"] for b in chat.blocks(bob).data] == [alice.id]
    assert chat.unblock(bob, alice.id).data == {"userId": alice.id, "blocked": False}
    assert chat.unblock(bob, alice.id).status == 200
    assert chat.blocks(bob).data == []
    assert chat.send(alice, conversationId=cid, body="thanks").status == 201
    assert chat.block(bob, bob.id).status == 422
    assert chat.block(bob, "no-such-user").status == 404


def test_blocks_are_listed_newest_first_with_a_cursor(people):
    alice, bob, carol = people
    chat.block(alice, bob.id)
    chat.block(alice, carol.id)
    first = chat.blocks(alice, limit="1")
    assert [b["userId"] for b in first.data] == [carol.id]
    second = chat.blocks(alice, limit="1", cursor=first.body["metadata"]["nextCursor"])
    assert [b["userId"] for b in second.data] == [bob.id]


# --- attachments ----------------------------------------------------------------------------------------
def upload(grant, content=b"%PDF-1.4 tiny"):
    # moto does not check POST policies (the local runtime does; see the integration tests), so store it.
    key = grant["uploadFields"]["key"]
    boto3.client("s3").put_object(Bucket=storage.bucket(), Key=key, Body=content)


def test_attachments_are_uploaded_sent_once_and_downloaded_by_participants(people):
    alice, bob, eve = people
    grant = chat.start_attachment(alice, fileName="script.pdf", contentType="application/pdf", sizeBytes=13)
    assert grant.status == 201
    assert set(grant.data) == {"attachmentId", "uploadUrl", "uploadFields", "expiresAt"}
    assert grant.data["uploadFields"]["Content-Type"] == "application/pdf"
    attachment_id = grant.data["attachmentId"]

    early = chat.send(alice, recipientId=bob.id, body="see file", attachmentIds=[attachment_id])
    assert early.status == 409 and early.code == "MEDIA_NOT_READY"
    upload(grant.data)
    sent = chat.send_ok(alice, recipientId=bob.id, body="see file", attachmentIds=[attachment_id])
    assert sent["attachments"] == [
        {"id": attachment_id, "fileName": "script.pdf", "contentType": "application/pdf", "sizeBytes": 13}
    ]
    assert chat.send(alice, recipientId=bob.id, body="again", attachmentIds=[attachment_id]).status == 422
    assert chat.send(bob, recipientId=alice.id, body="mine?", attachmentIds=[attachment_id]).status == 422

    url = chat.attachment_url(bob, sent["id"], attachment_id)
    assert url.status == 200 and set(url.data) == {"downloadUrl", "expiresAt"}
    assert chat.attachment_url(eve, sent["id"], attachment_id).status == 404
    assert chat.attachment_url(bob, sent["id"], "other").status == 404
    chat.delete(alice, sent["id"])
    assert chat.attachment_url(bob, sent["id"], attachment_id).status == 404


@pytest.mark.parametrize(
    "body",
    [
        {"fileName": "big.mov", "contentType": "video/quicktime", "sizeBytes": 50 * 1024 * 1024 + 1},
        {"fileName": "x", "contentType": "not a type", "sizeBytes": 10},
        {"fileName": "", "contentType": "text/plain", "sizeBytes": 10},
        {"fileName": "x", "contentType": "text/plain", "sizeBytes": 0},
    ],
)
def test_attachment_limits(people, body):
    assert chat.start_attachment(people[0], **body).status == 422


def test_fifty_megabytes_is_allowed(people):
    body = {"fileName": "cut.mp4", "contentType": "video/mp4", "sizeBytes": 50 * 1024 * 1024}
    assert chat.start_attachment(people[0], **body).status == 201
