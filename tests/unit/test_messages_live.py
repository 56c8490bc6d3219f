"""Live messaging: the Messages / ReadReceipts streams → chat_message / read_receipt frames on every
connection of the other participants; conversation typing over the WebSocket; rules; the template block."""

from __future__ import annotations

import ast
import json
from datetime import timedelta
from pathlib import Path

import pytest

from local.template import load_template
from pitchey.core import clock
from pitchey.messages import rules
from pitchey.messages.models import Message, ReadReceipt, reader_key
from tests.events import lambda_context, load_handler
from tests.unit import messages_support as chat
from tests.unit.accounts import make_user
from tests.unit.notifications_support import (
    install_fakes,
    open_ws,
    stream_event,
    stream_record,
    ws_call,
    ws_event,
)

push = load_handler("messages/push")
connect = load_handler("realtime/connect")
typing_relay = load_handler("realtime/typing_relay")


@pytest.fixture
def api(aws, monkeypatch):
    return install_fakes(monkeypatch)


def run(*records):
    return push(stream_event(*records), lambda_context())


def stored(message):
    return Message.get(message["conversationId"], message["seq"])


def test_a_stored_message_reaches_every_connection_of_the_others(api):
    alice, bob, eve = make_user(), make_user(), make_user()
    for user, cid in ((alice, "a1"), (bob, "b1"), (bob, "b2"), (eve, "e1")):
        open_ws(user, cid)
    message = chat.send_ok(alice, recipientId=bob.id, body="live?")
    assert run(stream_record(stored(message))) == {"batchItemFailures": []}
    for cid in ("b1", "b2"):
        (frame,) = api.frames(cid, "chat_message")
        assert frame["data"] == message and frame["timestamp"].endswith("Z")
    assert api.frames("a1", "chat_message") == [] and api.frames("e1") == []


def test_edits_and_deletes_are_pushed_other_changes_are_not(api):
    alice, bob = make_user(), make_user()
    open_ws(bob, "b1")
    message = chat.send_ok(alice, recipientId=bob.id, body="draft")
    before = stored(message)
    chat.edit(alice, message["id"], "final")
    after = stored(message)
    modify = stream_record(after, "MODIFY")
    modify["dynamodb"]["OldImage"] = before.serialize()
    same = stream_record(after, "MODIFY")
    same["dynamodb"]["OldImage"] = after.serialize()
    assert run(modify, same, stream_record(after, "REMOVE")) == {"batchItemFailures": []}
    (frame,) = api.frames("b1", "chat_message")
    assert frame["data"]["body"] == "final" and frame["data"]["editedAt"]


def test_a_receipt_reaches_the_sender_live(api):
    alice, bob = make_user(), make_user()
    open_ws(alice, "a1")
    open_ws(bob, "b1")
    message = chat.send_ok(alice, recipientId=bob.id, body="read me")
    cid = message["conversationId"]
    assert chat.read(bob, cid).data == {"count": 1}
    receipt = ReadReceipt.get(reader_key(cid, bob.id), 1)
    assert run(stream_record(receipt)) == {"batchItemFailures": []}
    (frame,) = api.frames("a1", "read_receipt")
    assert frame["data"] == {
        "conversationId": cid,
        "userId": bob.id,
        "upToMessageId": message["id"],
        "readAt": clock.iso(clock.from_iso(receipt.read_at)),
    }
    assert api.frames("b1", "read_receipt") == []


def test_a_failed_push_is_retried_from_its_record(api):
    alice, bob = make_user(), make_user()
    open_ws(bob, "b1")
    first = stored(chat.send_ok(alice, recipientId=bob.id, body="one"))
    api.failing.add("b1")
    records = [stream_record(first)]
    assert run(*records) == {
        "batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]
    }
    api.failing.clear()
    assert run(*records) == {"batchItemFailures": []}
    assert len(api.frames("b1", "chat_message")) == 1


def typing(connection_id, **body):
    return ws_call(typing_relay, ws_event("typing", connection_id, body={"action": "typing", **body}))


def test_typing_reaches_the_other_participants_only(api):
    alice, bob, eve = make_user(), make_user(), make_user()
    for user, cid in ((alice, "a1"), (alice, "a2"), (bob, "b1"), (eve, "e1")):
        open_ws(user, cid)
    cid = chat.send_ok(alice, recipientId=bob.id, body="hi")["conversationId"]
    assert typing("a1", conversationId=cid, isTyping=True) == {"status": 200, "frame": None}
    (frame,) = api.frames("b1", "typing")
    assert frame["data"] == {"conversationId": cid, "userId": alice.id, "isTyping": True}
    assert api.frames("a2", "typing") == [] and api.frames("e1") == []

    refused = typing("e1", conversationId=cid, isTyping=True)["frame"]
    assert refused["type"] == "error" and refused["data"]["code"] == "NOT_FOUND"
    assert typing("e1", conversationId="nope")["frame"]["data"]["code"] == "NOT_FOUND"
    assert typing("a1", conversationId=cid, isTyping="yes")["frame"]["data"]["code"] == "VALIDATION_ERROR"
    assert typing("a1", conversationId=7)["frame"]["data"]["code"] == "VALIDATION_ERROR"


def test_typing_is_rate_limited_and_never_stored(api, monkeypatch):
    from pitchey.realtime import service as realtime

    monkeypatch.setattr(
        realtime, "TYPING_WINDOW_SECONDS", 3600
    )  # all 12 in one window, however slow the machine
    alice, bob = make_user(), make_user()
    open_ws(alice, "a1")
    open_ws(bob, "b1")
    cid = chat.send_ok(alice, recipientId=bob.id, body="hi")["conversationId"]
    answers = [typing("a1", conversationId=cid, isTyping=i % 2 == 0)["frame"] for i in range(12)]
    limited = [f for f in answers if f is not None]
    assert limited and all(f["data"]["code"] == "RATE_LIMITED" for f in limited)
    assert len(limited) == 2 and len(api.frames("b1", "typing")) == 10
    assert [m.seq for m in Message.query(cid)] == [1]


# --- rules ----------------------------------------------------------------------------------------------
def test_conversation_ids_are_the_same_whoever_writes_first():
    assert rules.conversation_id_for("a", "b") == rules.conversation_id_for("b", "a")
    assert rules.conversation_id_for("a", "b", "p1") == rules.conversation_id_for("b", "a", "p1")
    assert len({rules.conversation_id_for("a", "b"), rules.conversation_id_for("a", "b", "p1")}) == 2
    assert rules.conversation_id_for("a", "b", "p1") != rules.conversation_id_for("a", "b", "p2")


def test_message_ids_round_trip_and_junk_is_refused():
    cid = rules.conversation_id_for("a", "b")
    assert rules.parse_message_id(rules.message_id(cid, 42)) == (cid, 42)
    for junk in ("", "x", f"{cid}-", f"{cid}-0", f"{cid}-01", f"{cid}-x", "short-1", f"{cid}-{'9' * 13}"):
        assert rules.parse_message_id(junk) is None, junk


def test_the_edit_window(setenv):
    now = clock.now()
    sent = clock.iso_precise(now - timedelta(seconds=900))
    assert rules.edit_window_open(sent, now)
    assert not rules.edit_window_open(clock.iso_precise(now - timedelta(seconds=901)), now)
    setenv("MESSAGE_EDIT_WINDOW_SECONDS", "60")
    assert not rules.edit_window_open(sent, now)
    assert rules.edit_cutoff(now) == clock.iso_precise(now - timedelta(seconds=60))


def test_previews_are_short_one_line_and_escaped():
    assert rules.preview("<b>hi</b>\n  there & you") == "&lt;b&gt;hi&lt;/b&gt; there &amp; you"
    long = rules.preview("word " * 100)
    assert len(long) <= rules.PREVIEW_CHARS and long.endswith("…")


def test_a_message_preview_is_escaped_once_in_mail_and_plain_in_its_text_part():
    from pitchey.notifications.emails import render_digest, render_instant
    from pitchey.notifications.models import Notification
    from pitchey.users.models import User

    typed = "<b>hi</b> & &lt;you&gt;"
    note = Notification(
        "u1", "n1", type="message", title="New message from a&b", body=f"a&amp;b: {rules.preview(typed)}"
    )
    user = User("u1", email="u1@example.com", username="u1")
    for mail in (render_instant(user, note, "message"), render_digest(user, "daily", [note], 0)):
        assert f"a&b: {typed}" in mail.text
        assert "a&amp;b: &lt;b&gt;hi&lt;/b&gt; &amp; &amp;lt;you&amp;gt;" in mail.html
        assert "&amp;amp;" not in mail.html and "<b>hi" not in mail.html


def test_read_by_takes_the_first_receipt_reaching_each_message():
    receipts = [("bob", 5, "t2"), ("bob", 2, "t1"), ("carol", 3, "t3")]
    assert rules.read_by([1, 2, 3, 4, 6], receipts) == {
        1: [{"userId": "bob", "readAt": "t1"}, {"userId": "carol", "readAt": "t3"}],
        2: [{"userId": "bob", "readAt": "t1"}, {"userId": "carol", "readAt": "t3"}],
        3: [{"userId": "bob", "readAt": "t2"}, {"userId": "carol", "readAt": "t3"}],
        4: [{"userId": "bob", "readAt": "t2"}],
        6: [],
    }


# --- template -------------------------------------------------------------------------------------------
RESOURCES = load_template()["Resources"]
ROUTES = {
    ("POST", "/api/messages/send"): "send",
    ("GET", "/api/messages/conversations"): "conversations",
    ("GET", "/api/messages/conversations/{id}"): "conversation",
    ("GET", "/api/messages/conversations/{id}/messages"): "messages",
    ("POST", "/api/messages/conversations/{id}/read"): "read",
    ("PUT", "/api/messages/{id}"): "edit",
    ("DELETE", "/api/messages/{id}"): "delete",
    ("POST", "/api/messages/attachments"): "attachment_upload",
    ("GET", "/api/messages/{id}/attachments/{attachmentId}"): "attachment_download",
    ("POST", "/api/users/{id}/block"): "block",
    ("DELETE", "/api/users/{id}/block"): "unblock",
    ("GET", "/api/users/me/blocks"): "blocks",
}


def test_every_messaging_route_is_declared_with_its_handler():
    declared = {}
    for resource in RESOURCES.values():
        props = resource.get("Properties") or {}
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "HttpApi" and props.get("CodeUri") == "functions/messages/":
                declared[(event["Properties"]["Method"], event["Properties"]["Path"])] = props["Handler"]
    assert declared == {route: f"{module}.handler" for route, module in ROUTES.items()}


def test_the_push_reads_both_streams_and_the_edit_window_is_a_parameter():
    events = RESOURCES["MessagesPushFunction"]["Properties"]["Events"]
    streams = {event["Properties"]["Stream"]["Fn::GetAtt"][0] for event in events.values()}
    assert streams == {"MessagesTable", "ReadReceiptsTable"}
    assert load_template()["Parameters"]["MessageEditWindowSeconds"]["Default"] == 900


# --- sample events --------------------------------------------------------------------------------------
EVENTS = Path(__file__).resolve().parents[2] / "events" / "messages"


def test_the_sample_events_drive_their_handlers(api):
    from pitchey.users.models import User
    from tests.auth_support import authorize
    from tests.events import call, live_session

    now = clock.iso()
    for user_id, role in (
        ("01960000000000000000investor", "investor"),
        ("01960000000000000000creator00", "creator"),
    ):
        fields = {"email": f"{role}@example.test", "username": role, "user_type": role, "password_hash": "x"}
        # verified, as sending a message requires
        User(user_id, **fields, created_at=now, updated_at=now, email_verified_at=now).save()
    token, _ = live_session("01960000000000000000investor", "investor")
    context = authorize(token)["context"]
    statuses = {}
    for path in sorted(EVENTS.glob("*.json")):
        event = json.loads(path.read_text())
        if path.stem == "push":
            assert push(event, lambda_context()) == {"batchItemFailures": []}
            continue
        event["headers"]["authorization"] = f"Bearer {token}"
        event["requestContext"]["authorizer"]["lambda"] = context
        statuses[path.stem] = call(load_handler(f"messages/{path.stem}"), event).status
    assert statuses == {
        "attachment_download": 404,  # the sample conversation does not exist
        "attachment_upload": 201,
        "block": 201,
        "blocks": 200,
        "conversation": 404,
        "conversations": 200,
        "delete": 404,
        "edit": 404,
        "messages": 404,
        "read": 404,
        "send": 201,  # a block stops the blocked user's messages, not the blocker's
        "unblock": 200,
    }


# --- structure ------------------------------------------------------------------------------------------
LAYER = Path(__file__).resolve().parents[2] / "layers" / "pitchey" / "python" / "pitchey"


def imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").count(".") == 1:
            names += [f"{node.module}.{alias.name}" for alias in node.names]  # from pitchey.x import service
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
    return names


def test_messages_reach_other_contexts_only_through_their_service_and_never_scan():
    for path in (LAYER / "messages").glob("*.py"):
        assert ".scan(" not in path.read_text(), path
        for name in imported_modules(path):
            parts = name.split(".")
            if parts[0] == "pitchey" and parts[1] not in ("core", "messages", "auth"):
                assert parts[2:] == ["service"], (path.name, name)
    handlers = (Path(__file__).resolve().parents[2] / "functions" / "messages").glob("*.py")
    for path in handlers:
        assert all(name.split(".")[0] in ("pitchey", "typing") for name in imported_modules(path)), path
