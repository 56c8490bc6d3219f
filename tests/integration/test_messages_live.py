"""Messaging through the local runtime with real WebSocket clients: live chat with receipts and typing,
participants only, blocking, exact pagination, and concurrent sends (first messages from both sides at
once; fifty into one conversation)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from local.testing import RuntimeProcess
from tests.integration.accounts import Account, register
from tests.integration.notifications_support import eventually, receive, request_reply, ws_connect

COLD = 20.0  # the first frame of each kind waits for that function's first (cold) worker on a busy machine


def send(runtime: RuntimeProcess, sender: Account, **body: Any) -> httpx.Response:
    return runtime.client.post("/api/messages/send", json=body, headers=sender.headers)


def racing_sends(
    runtime: RuntimeProcess, sends: list[tuple[Account, dict[str, Any]]]
) -> list[httpx.Response]:
    """All at once, from threads. The function's workers are warmed first (one concurrent round elsewhere),
    and the client waits long, so on a loaded machine the test sees the races, not cold starts."""
    with httpx.Client(base_url=runtime.http, timeout=120) as client:

        def post(item: tuple[Account, dict[str, Any]]) -> httpx.Response:
            return client.post("/api/messages/send", json=item[1], headers=item[0].headers)

        warm, other = register(runtime, "investor"), register(runtime, "investor")
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(post, [(warm, {"recipientId": other.id, "body": "warm"})] * 4))
        with ThreadPoolExecutor(max_workers=len(sends)) as pool:
            return list(pool.map(post, sends))


def send_ok(runtime: RuntimeProcess, sender: Account, **body: Any) -> dict[str, Any]:
    answer = send(runtime, sender, **body)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


def frames_of(ws: Any, types: set[str]) -> dict[str, dict[str, Any]]:
    """The first frame of each of these types, in whatever order they arrive."""
    seen: dict[str, dict[str, Any]] = {}
    while set(seen) != types:
        frame = receive(ws, lambda f: f["type"] in types - set(seen), COLD)
        seen[frame["type"]] = frame
    return seen


def all_messages(runtime: RuntimeProcess, reader: Account, cid: str, limit: int) -> list[dict[str, Any]]:
    listed, cursor = [], None
    while True:
        params = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        page = runtime.client.get(
            f"/api/messages/conversations/{cid}/messages", params=params, headers=reader.headers
        )
        assert page.status_code == 200, page.text
        listed += page.json()["data"]
        cursor = page.json()["metadata"]["nextCursor"]
        if not cursor:
            return listed


def test_two_users_chat_live_with_receipts_and_typing(runtime: RuntimeProcess) -> None:
    alice, bob = register(runtime, "creator"), register(runtime, "investor")
    with ws_connect(runtime, alice.token) as alice_ws, ws_connect(runtime, bob.token) as bob_ws:
        for ws in (alice_ws, bob_ws):
            assert request_reply(ws, {"action": "ping"})["type"] == "pong"
        message = send_ok(runtime, alice, recipientId=bob.id, body="Hello <b>Bob</b> & co")
        cid = message["conversationId"]
        frames = frames_of(bob_ws, {"chat_message", "message"})  # either may come first
        assert frames["chat_message"]["data"] == message
        note = frames["message"]
        assert note["data"]["data"]["messageId"] == message["id"] and "<b>" not in note["data"]["body"]

        bob_ws.send(json.dumps({"action": "typing", "conversationId": cid, "isTyping": True}))
        typing = receive(alice_ws, lambda f: f["type"] == "typing", COLD)
        assert typing["data"] == {"conversationId": cid, "userId": bob.id, "isTyping": True}

        shown = runtime.client.get(f"/api/messages/conversations/{cid}", headers=bob.headers).json()["data"]
        assert shown["unreadCount"] == 1
        read = runtime.client.post(f"/api/messages/conversations/{cid}/read", json={}, headers=bob.headers)
        assert read.status_code == 200 and read.json()["data"] == {"count": 1}
        receipt = receive(alice_ws, lambda f: f["type"] == "read_receipt", COLD)
        assert receipt["data"]["conversationId"] == cid and receipt["data"]["userId"] == bob.id
        assert receipt["data"]["upToMessageId"] == message["id"] and receipt["data"]["readAt"].endswith("Z")
        listed = runtime.client.get("/api/messages/conversations", headers=bob.headers).json()["data"]
        assert [(c["id"], c["unreadCount"]) for c in listed] == [(cid, 0)]
        assert listed[0]["lastMessage"]["readBy"][0]["userId"] == bob.id

        reply = send_ok(runtime, bob, conversationId=cid, body="Hi Alice")
        assert receive(alice_ws, lambda f: f["type"] == "chat_message")["data"]["id"] == reply["id"]
        with pytest.raises(TimeoutError):  # the sender's own connections do not get their message back
            receive(bob_ws, lambda f: f["type"] == "chat_message" and f["data"]["id"] == reply["id"], 1.0)

    # (bob's inbox also holds his verification mail)
    [mail] = eventually(
        lambda: [m for m in runtime.emails(to=bob.email) if "New message from" in m["subject"]], timeout=COLD
    )
    assert "<b>Bob</b>" not in mail["html"]


def test_a_third_user_gets_404_everywhere_and_a_blocked_user_403(runtime: RuntimeProcess) -> None:
    alice, bob, eve = (register(runtime, p) for p in ("creator", "investor", "production"))
    message = send_ok(runtime, alice, recipientId=bob.id, body="private")
    cid, mid = message["conversationId"], message["id"]
    client, headers = runtime.client, eve.headers
    answers = [
        client.get(f"/api/messages/conversations/{cid}", headers=headers),
        client.get(f"/api/messages/conversations/{cid}/messages", headers=headers),
        client.post(f"/api/messages/conversations/{cid}/read", json={}, headers=headers),
        client.post("/api/messages/send", json={"conversationId": cid, "body": "hi"}, headers=headers),
        client.put(f"/api/messages/{mid}", json={"body": "mine"}, headers=headers),
        client.delete(f"/api/messages/{mid}", headers=headers),
        client.get(f"/api/messages/{mid}/attachments/x", headers=headers),
    ]
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert all(a.json()["error"]["code"] == "NOT_FOUND" for a in answers)
    with ws_connect(runtime, eve.token) as ws:
        frame = request_reply(ws, {"action": "typing", "conversationId": cid, "isTyping": True})
        assert frame["type"] == "error" and frame["data"]["code"] == "NOT_FOUND"

    other = client.put(f"/api/messages/{mid}", json={"body": "edited by bob"}, headers=bob.headers)
    assert other.status_code == 403
    blocked = client.post(f"/api/users/{alice.id}/block", headers=bob.headers)
    assert blocked.status_code == 201
    refused = send(runtime, alice, conversationId=cid, body="still there?")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "BLOCKED"
    listed = client.get("/api/users/me/blocks", headers=bob.headers).json()["data"]
    assert [b["userId"] for b in listed] == [alice.id]
    assert client.delete(f"/api/users/{alice.id}/block", headers=bob.headers).status_code == 200
    assert send(runtime, alice, conversationId=cid, body="thanks").status_code == 201


def test_pagination_is_exact_over_25_messages_while_more_arrive(runtime: RuntimeProcess) -> None:
    alice, bob = register(runtime, "creator"), register(runtime, "investor")
    cid = send_ok(runtime, alice, recipientId=bob.id, body="1")["conversationId"]
    for i in range(2, 26):
        send_ok(runtime, bob if i % 2 else alice, conversationId=cid, body=str(i))
    page = runtime.client.get(
        f"/api/messages/conversations/{cid}/messages", params={"limit": "10"}, headers=alice.headers
    ).json()
    assert [m["body"] for m in page["data"]] == [str(i) for i in range(25, 15, -1)]
    send_ok(runtime, bob, conversationId=cid, body="late")
    rest = runtime.client.get(
        f"/api/messages/conversations/{cid}/messages",
        params={"limit": "10", "cursor": page["metadata"]["nextCursor"]},
        headers=alice.headers,
    ).json()
    assert [m["seq"] for m in rest["data"]] == list(range(15, 5, -1))
    assert [m["seq"] for m in all_messages(runtime, alice, cid, 7)] == list(range(26, 0, -1))


def test_ten_concurrent_first_messages_from_both_sides_make_one_conversation(runtime: RuntimeProcess) -> None:
    alice, bob = register(runtime, "creator"), register(runtime, "production")
    pairs = [(alice, bob), (bob, alice)] * 5
    answers = racing_sends(runtime, [(a, {"recipientId": b.id, "body": "first!"}) for a, b in pairs])
    assert [a.status_code for a in answers] == [201] * 10, [a.text for a in answers if a.status_code != 201]
    assert len({a.json()["data"]["conversationId"] for a in answers}) == 1
    for user in (alice, bob):
        listed = runtime.client.get("/api/messages/conversations", headers=user.headers).json()["data"]
        assert len(listed) == 1 and listed[0]["unreadCount"] == 5


def is_burst(frame: dict) -> bool:
    return frame["type"] == "chat_message" and frame["data"]["body"].startswith("burst ")


def test_fifty_concurrent_sends_all_appear_once_in_a_stable_order(runtime: RuntimeProcess) -> None:
    alice, bob = register(runtime, "creator"), register(runtime, "investor")
    cid = send_ok(runtime, alice, recipientId=bob.id, body="start")["conversationId"]
    with ws_connect(runtime, bob.token) as bob_ws:
        request_reply(bob_ws, {"action": "ping"})

        answers = racing_sends(
            runtime, [(alice, {"conversationId": cid, "body": f"burst {i}"}) for i in range(50)]
        )
        assert [a.status_code for a in answers] == [201] * 50, [
            a.text for a in answers if a.status_code != 201
        ]
        assert sorted(a.json()["data"]["seq"] for a in answers) == list(range(2, 52))
        # "start" is delivered from the stream too, and may reach the socket once it is open: only the
        # burst is counted.
        pushed: set[str] = set()
        while len(pushed) < 50:
            frame = receive(bob_ws, is_burst, timeout=COLD)
            pushed.add(frame["data"]["body"])
        assert pushed == {f"burst {i}" for i in range(50)}

    first = all_messages(runtime, bob, cid, 20)
    assert [m["seq"] for m in first] == list(range(51, 0, -1))
    assert sorted(m["body"] for m in first[:-1]) == sorted(f"burst {i}" for i in range(50))
    assert [m["id"] for m in all_messages(runtime, bob, cid, 9)] == [m["id"] for m in first]


def test_attachments_upload_under_the_s3_policy_and_download_for_participants(
    runtime: RuntimeProcess,
) -> None:
    alice, bob, eve = (register(runtime, p) for p in ("creator", "investor", "investor"))
    content = b"%PDF-1.4 a tiny script"
    body = {"fileName": "script.pdf", "contentType": "application/pdf", "sizeBytes": len(content)}
    grant = runtime.client.post("/api/messages/attachments", json=body, headers=alice.headers)
    assert grant.status_code == 201, grant.text
    grant = grant.json()["data"]

    def post(data: bytes) -> httpx.Response:
        files = {"file": ("script.pdf", data, "application/pdf")}
        return httpx.post(grant["uploadUrl"], data=grant["uploadFields"], files=files, timeout=30)

    assert post(content + b"!").status_code == 400  # over the announced size: S3's policy refuses it
    assert post(content).status_code in (200, 201, 204)
    message = send_ok(
        runtime, alice, recipientId=bob.id, body="the script", attachmentIds=[grant["attachmentId"]]
    )
    path = f"/api/messages/{message['id']}/attachments/{grant['attachmentId']}"
    link = runtime.client.get(path, headers=bob.headers)
    assert link.status_code == 200
    assert httpx.get(link.json()["data"]["downloadUrl"], timeout=30).content == content
    assert runtime.client.get(path, headers=eve.headers).status_code == 404
