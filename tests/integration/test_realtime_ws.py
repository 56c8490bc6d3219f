"""WebSocket API through the local runtime: handshake auth, pong, push to every connection, Gone cleanup."""

from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus

from local.testing import RuntimeProcess
from tests.integration.accounts import register
from tests.integration.notifications_support import eventually, notify_on, receive, request_reply, ws_connect


@pytest.mark.parametrize("token", [None, "", "not-a-jwt", "a.b.c"])
def test_the_handshake_is_refused_without_a_valid_token(runtime: RuntimeProcess, token) -> None:
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(runtime, token)
    assert refused.value.response.status_code == 401


def test_the_handshake_is_refused_after_logout(runtime: RuntimeProcess) -> None:
    alice = register(runtime, "investor")
    assert runtime.client.post("/api/auth/logout", headers=alice.headers).status_code == 200
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(runtime, alice.token)
    assert refused.value.response.status_code == 401


def test_ping_pong_and_unknown_actions(runtime: RuntimeProcess) -> None:
    alice = register(runtime, "investor")
    with ws_connect(runtime, alice.token) as ws:
        pong = request_reply(ws, {"action": "ping"})
        assert pong["type"] == "pong" and pong["data"] == {} and pong["timestamp"].endswith("Z")
        error = request_reply(ws, {"action": "dance"})
        assert error["type"] == "error" and error["data"]["code"] == "UNKNOWN_ACTION"


def test_a_user_with_two_connections_gets_the_notification_on_both(runtime: RuntimeProcess) -> None:
    alice, bob = register(runtime, "investor"), register(runtime, "investor")
    with (
        ws_connect(runtime, alice.token) as first,
        ws_connect(runtime, alice.token) as second,
        ws_connect(runtime, bob.token) as other,
    ):
        for ws in (first, second, other):
            assert request_reply(ws, {"action": "ping"})["type"] == "pong"  # connected and recorded
        note = notify_on(runtime, alice.id, "investment_created", "New investment", "Bob invested", {"x": 1})
        for ws in (first, second):
            frame = receive(ws, lambda f: f["type"] == "investment_created")
            assert frame["data"]["id"] == note.id
            assert frame["data"]["data"] == {"x": 1} and frame["data"]["read"] is False
        with pytest.raises(TimeoutError):
            receive(other, lambda f: f["type"] == "investment_created", timeout=1.0)


def test_a_gone_connection_is_cleaned_up(runtime: RuntimeProcess) -> None:
    """A connection record whose socket is gone without $disconnect (e.g. a lost $disconnect): the push
    gets 410 GoneException from @connections and deletes the record; live connections still get it."""
    alice = register(runtime, "investor")
    dynamodb = runtime.boto3("dynamodb")
    with ws_connect(runtime, alice.token) as live:
        request_reply(live, {"action": "ping"})
        dynamodb.put_item(
            TableName="ConnectionsTable",
            Item={
                "connectionId": {"S": "ghost-connection"},
                "userId": {"S": alice.id},
                "sessionId": {"S": alice.session_id},
                "connectedAt": {"S": "2026-01-01T00:00:00.000000Z"},
                "ttl": {"N": "9999999999"},
            },
        )
        notify_on(runtime, alice.id, "system", "Hello", "Welcome")
        receive(live, lambda f: f["type"] == "system")

        def ghost_gone() -> bool:
            item = dynamodb.get_item(
                TableName="ConnectionsTable", Key={"connectionId": {"S": "ghost-connection"}}
            )
            return "Item" not in item

        eventually(ghost_gone)


def test_a_closed_connection_is_removed(runtime: RuntimeProcess) -> None:
    alice = register(runtime, "investor")
    dynamodb = runtime.boto3("dynamodb")

    def connection_ids() -> list[str]:
        page = dynamodb.query(
            TableName="ConnectionsTable",
            IndexName="byUser",
            KeyConditionExpression="userId = :u",
            ExpressionAttributeValues={":u": {"S": alice.id}},
        )
        return [item["connectionId"]["S"] for item in page["Items"]]

    with ws_connect(runtime, alice.token) as ws:
        request_reply(ws, {"action": "ping"})
        assert len(connection_ids()) == 1
    eventually(lambda: connection_ids() == [])


def test_subscribing_to_an_unknown_pitch_is_an_error_frame(runtime: RuntimeProcess) -> None:
    if "/api/pitches" not in {
        r["routeKey"].split(" ", 1)[-1] for r in runtime.client.get("/_local/routes").json()
    }:
        pytest.skip("the pitches context (PitchesTable) is not in this template yet")
    alice = register(runtime, "investor")
    with ws_connect(runtime, alice.token) as ws:
        frame = request_reply(ws, {"action": "subscribe", "channel": "pitch:does-not-exist"})
        assert frame["type"] == "error" and frame["data"]["code"] == "CHANNEL_FORBIDDEN"
        frame = request_reply(ws, {"action": "subscribe", "channel": "nonsense"})
        assert frame["type"] == "error" and frame["data"]["code"] == "VALIDATION_ERROR"
