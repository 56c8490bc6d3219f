"""The fixture application's WebSocket API under a real runtime, driven by the websockets client and boto3."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.local.triggers_support import TriggersApp, triggers_app, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app() -> TriggersApp:
    return triggers_app()


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, timeout=20))


async def refused_status(url: str) -> tuple[int, bytes]:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url):
            pass
    return refused.value.response.status_code, bytes(refused.value.response.body or b"")


def test_connect_without_token_is_refused_without_upgrade(app: TriggersApp) -> None:
    status, body = run(refused_status(f"{app.ws_url}/"))
    assert status == 401
    assert json.loads(body) == {"message": "Unauthorized"}


def test_connect_with_bad_or_denied_token_is_refused(app: TriggersApp) -> None:
    assert run(refused_status(f"{app.ws_url}/?token=garbage"))[0] == 401  # authorizer raised Unauthorized
    assert run(refused_status(f"{app.ws_url}/?token=deny"))[0] == 403  # Deny policy


def test_connect_refused_by_the_connect_function(app: TriggersApp) -> None:
    assert run(refused_status(f"{app.ws_url}/?token=user-x&refuse=1"))[0] == 403


def test_connect_event_has_query_headers_and_authorizer_context(app: TriggersApp) -> None:
    async def scenario() -> str:
        async with connect(f"{app.ws_url}/test?token=user-ctx", additional_headers={"X-Probe": "1"}) as ws:
            await ws.send(json.dumps({"action": "whoami"}))
            return json.loads(await ws.recv())["requestContext"]["connectionId"]

    connection_id = run(scenario())
    event = app.recorded_one("ws-connect", connection_id)["data"]
    assert event["queryStringParameters"] == {"token": "user-ctx"}
    assert event["headers"]["X-Probe"] == "1"
    context = event["requestContext"]
    assert context["eventType"] == "CONNECT" and context["routeKey"] == "$connect"
    assert context["stage"] == "test" and context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["authorizer"]["userId"] == "ctx" and context["authorizer"]["principalId"] == "user-ctx"
    assert isinstance(context["connectedAt"], int) and isinstance(context["requestTimeEpoch"], int)


def test_default_route_is_two_way_and_carries_the_request_context(app: TriggersApp) -> None:
    async def scenario() -> tuple[dict, dict]:
        async with connect(f"{app.ws_url}/?token=user-pinger") as ws:
            await ws.send(json.dumps({"action": "ping"}))
            pong = json.loads(await ws.recv())
            await ws.send(json.dumps({"action": "whoami", "n": 1}))
            return pong, json.loads(await ws.recv())

    pong, whoami = run(scenario())
    assert pong["type"] == "pong"
    context = whoami["requestContext"]
    assert context["eventType"] == "MESSAGE" and context["routeKey"] == "$default"
    assert context["messageId"] and context["apiId"] and context["domainName"]
    assert context["authorizer"]["userId"] == "pinger"
    assert whoami["received"] == {"action": "whoami", "n": 1}


def test_one_way_route_answers_through_connections_api_at_the_template_endpoint(app: TriggersApp) -> None:
    async def scenario() -> dict:
        async with connect(f"{app.ws_url}/?token=user-echo") as ws:
            await ws.send(json.dumps({"action": "echo", "text": "hello"}))
            frame = json.loads(await ws.recv())
            # the function's own return value is not sent: a one-way route
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), timeout=0.5)
            return frame

    frame = run(scenario())
    assert frame["type"] == "echo" and frame["data"]["text"] == "hello"
    # `!Sub https://${WebSocketApi}.execute-api.${AWS::Region}.amazonaws.com/${Stage}` resolved locally
    assert frame["endpoint"] == app.connections_endpoint
    assert frame["url"] == f"{app.ws_url}/test"


def test_failing_route_sends_internal_server_error(app: TriggersApp) -> None:
    async def scenario() -> dict:
        async with connect(f"{app.ws_url}/?token=user-boom") as ws:
            await ws.send(json.dumps({"action": "boom"}))
            return json.loads(await ws.recv())

    frame = run(scenario())
    assert frame["message"] == "Internal server error"
    assert frame["connectionId"] and frame["requestId"]


def test_both_connections_of_a_user_receive_a_notification_written_to_the_table(app: TriggersApp) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"

    async def scenario() -> list[dict]:
        async with (
            connect(f"{app.ws_url}/?token=user-{user}") as first,
            connect(f"{app.ws_url}/?token=user-{user}") as second,
            connect(f"{app.ws_url}/?token=user-someone-else") as other,
        ):
            app.dynamodb.put_item(
                TableName="NotificationsTable",
                Item={"userId": {"S": user}, "sk": {"S": "2026#1"}, "type": {"S": "new_follower"}},
            )
            frames = [json.loads(await ws.recv()) for ws in (first, second)]
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(other.recv(), timeout=0.5)
            return frames

    frames = run(scenario())
    assert [f["type"] for f in frames] == ["new_follower", "new_follower"]
    assert all(f["data"]["userId"] == user for f in frames)


def test_post_to_closed_connection_is_gone_and_disconnect_fired(app: TriggersApp) -> None:
    async def scenario() -> str:
        async with connect(f"{app.ws_url}/?token=user-leaver") as ws:
            await ws.send(json.dumps({"action": "whoami"}))
            return json.loads(await ws.recv())["requestContext"]["connectionId"]

    connection_id = run(scenario())  # the client closed the connection
    event = app.recorded_one("ws-disconnect", connection_id)["data"]
    assert event["requestContext"]["eventType"] == "DISCONNECT"
    assert event["requestContext"]["routeKey"] == "$disconnect"
    assert event["requestContext"]["disconnectStatusCode"] == 1000
    assert event["requestContext"]["authorizer"]["userId"] == "leaver"
    api = app.management_api()
    with pytest.raises(api.exceptions.GoneException):
        api.post_to_connection(ConnectionId=connection_id, Data=b"{}")
    with pytest.raises(api.exceptions.GoneException):
        api.get_connection(ConnectionId=connection_id)


def test_management_api_get_post_and_delete(app: TriggersApp) -> None:
    api = app.management_api()

    async def scenario() -> tuple[dict, str, str]:
        async with connect(f"{app.ws_url}/?token=user-managed") as ws:
            await ws.send(json.dumps({"action": "whoami"}))
            connection_id = json.loads(await ws.recv())["requestContext"]["connectionId"]
            info = await asyncio.to_thread(api.get_connection, ConnectionId=connection_id)
            await asyncio.to_thread(
                api.post_to_connection, ConnectionId=connection_id, Data=b'{"type":"system"}'
            )
            pushed = await ws.recv()
            await asyncio.to_thread(api.delete_connection, ConnectionId=connection_id)
            await ws.wait_closed()
            return info, pushed, connection_id

    info, pushed, connection_id = run(scenario())
    assert info["Identity"]["SourceIp"] == "127.0.0.1" and info["ConnectedAt"] and info["LastActiveAt"]
    assert pushed == '{"type":"system"}'
    # the server closed it: $disconnect fires too, and the connection is gone
    assert app.recorded_one("ws-disconnect", connection_id)
    with pytest.raises(api.exceptions.GoneException):
        api.post_to_connection(ConnectionId=connection_id, Data=b"{}")
    wait_until(
        lambda: (
            not app.dynamodb.get_item(
                TableName="ConnectionsTable", Key={"connectionId": {"S": connection_id}}
            ).get("Item")
        )
    )
