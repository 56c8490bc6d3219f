"""The WebSocket gateway with fake functions (no worker processes): routing, refusals, two-way answers,
@connections edge cases, $disconnect, and reading the API from a template."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from local.model import AppModel, TemplateError
from local.websocket import (
    MAX_MESSAGE_BYTES,
    WebSocketApiSpec,
    WebSocketGateway,
    WsAuthorizer,
    WsRoute,
    declared_api_ids,
    install_endpoint_rewriting,
    policy_allows,
    register_resolver_hooks,
    select_route_key,
    websocket_apis,
)
from tests.local.triggers_support import HandlerError, fake_runtime, wait_until

FIXTURE = Path(__file__).parent / "fixtures" / "triggers" / "template.yaml"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def authorizer(event: dict[str, Any]) -> dict[str, Any]:
    token = event["queryStringParameters"].get("token", "")
    if token == "raise":
        raise RuntimeError("authorizer bug")
    if token == "nope":
        raise HandlerError("Exception", "Unauthorized")
    return {
        "principalId": token,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Deny" if token == "deny" else "Allow",
                    "Resource": "*",
                }
            ],
        },
        "context": {"userId": token},
    }


def connect_handler(event: dict[str, Any]) -> Any:
    query = event.get("queryStringParameters") or {}
    if query.get("connect") == "raise":
        raise RuntimeError("connect failed")
    if "status" in query:
        return {"statusCode": int(query["status"]), "body": json.dumps({"message": "go away"})}
    return None  # no statusCode: accepted


def echo(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "body": json.dumps({"route": event["requestContext"]["routeKey"], "event": event}),
    }


def failing(event: dict[str, Any]) -> None:
    raise RuntimeError("route failed")


HANDLERS = {
    "Auth": authorizer,
    "Connect": connect_handler,
    "Disconnect": lambda event: None,
    "Default": echo,
    "Send": lambda event: {"statusCode": 200, "body": "discarded"},
    "Fail": failing,
}


def make_spec(default: bool = True) -> WebSocketApiSpec:
    routes = {
        "$connect": WsRoute(
            "$connect", "Connect", authorizer=WsAuthorizer("A", "Auth", ["route.request.querystring.token"])
        ),
        "$disconnect": WsRoute("$disconnect", "Disconnect"),
        "send": WsRoute("send", "Send"),
        "fail": WsRoute("fail", "Fail", two_way=True),
    }
    if default:
        routes["$default"] = WsRoute("$default", "Default", two_way=True)
    return WebSocketApiSpec("Api", "abc123", "dev", "$request.body.action", routes)


@pytest.fixture
def gateway() -> Iterator[WebSocketGateway]:
    runtime = fake_runtime(dict(HANDLERS))
    gw = WebSocketGateway(runtime, make_spec(), host="127.0.0.1", port=free_port())
    gw.start()
    try:
        yield gw
    finally:
        gw.stop()


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, timeout=10))


def management(gw: WebSocketGateway, stage: bool = True) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=gw.endpoint if stage else f"http://{gw.host}:{gw.port}",
        region_name="us-east-1",
    )


async def status_of(url: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url):
            pass
    return refused.value.response.status_code


# --- pure functions ----------------------------------------------------------------------------------------
def test_route_selection() -> None:
    routes = make_spec().routes
    assert select_route_key("$request.body.action", '{"action": "send"}', routes) == "send"
    assert select_route_key("$request.body.action", '{"action": "other"}', routes) == "$default"
    assert select_route_key("$request.body.action", "not json", routes) == "$default"
    assert select_route_key("$request.body.action", b"\x00binary", routes) == "$default"
    assert select_route_key("$request.body.action", '{"action": "$connect"}', routes) == "$default"
    nested = {"a": WsRoute("a", "Send")}
    assert select_route_key("$request.body.meta.kind", '{"meta": {"kind": "a"}}', nested) == "a"
    assert select_route_key("$request.body.action", '{"action": "x"}', nested) is None


def test_policy_evaluation() -> None:
    arn = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/$connect"

    def policy(*statements: dict[str, Any]) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": list(statements)}

    allow = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn}
    assert policy_allows(policy(allow), arn)
    assert policy_allows(policy({**allow, "Resource": "arn:aws:execute-api:us-east-1:*:abc123/*"}), arn)
    assert not policy_allows(policy({**allow, "Resource": "arn:aws:execute-api:us-east-1:*:other/*"}), arn)
    assert not policy_allows(policy(allow, {**allow, "Effect": "Deny"}), arn)  # explicit Deny wins
    assert not policy_allows(policy({**allow, "Action": "s3:GetObject"}), arn)
    assert policy_allows({"Statement": allow}, arn)  # a single statement object
    assert not policy_allows(None, arn)


# --- the gateway -------------------------------------------------------------------------------------------
def test_refusals(gateway: WebSocketGateway) -> None:
    base = gateway.url
    assert run(status_of(base)) == 401  # identity source missing: the authorizer is not even called
    assert run(status_of(f"{base}?token=nope")) == 401
    assert run(status_of(f"{base}?token=deny")) == 403
    assert run(status_of(f"{base}?token=raise")) == 500
    assert run(status_of(f"{base}?token=u&connect=raise")) == 500
    assert run(status_of(f"{base}?token=u&status=403")) == 403
    assert run(status_of(f"{base}?token=u&status=429")) == 429
    authorizer_calls = gateway.runtime.functions.events_of("Auth")
    assert len(authorizer_calls) == 6
    assert gateway.connections == {}


def test_two_way_one_way_errors_binary_and_forbidden(gateway: WebSocketGateway) -> None:
    async def scenario() -> dict[str, Any]:
        async with connect(f"{gateway.url}?token=u1") as ws:
            await ws.send(json.dumps({"action": "other"}))
            default = json.loads(await ws.recv())
            await ws.send(json.dumps({"action": "send"}))  # one-way: nothing comes back
            await ws.send(json.dumps({"action": "fail"}))
            failed = json.loads(await ws.recv())
            await ws.send(b"\x01\x02")
            binary = json.loads(await ws.recv())
            return {"default": default, "failed": failed, "binary": binary}

    frames = run(scenario())
    context = frames["default"]["event"]["requestContext"]
    assert frames["default"]["route"] == "$default"
    assert context["authorizer"] == {
        "userId": "u1",
        "principalId": "u1",
        "integrationLatency": context["authorizer"]["integrationLatency"],
    }
    assert context["stage"] == "dev" and context["apiId"] == "abc123" and context["eventType"] == "MESSAGE"
    assert frames["failed"]["message"] == "Internal server error"
    assert frames["binary"]["event"]["isBase64Encoded"] is True
    assert base64.b64decode(frames["binary"]["event"]["body"]) == b"\x01\x02"
    assert len(gateway.runtime.functions.events_of("Send")) == 1


def test_no_matching_route_and_no_default_is_forbidden() -> None:
    runtime = fake_runtime(dict(HANDLERS))
    gw = WebSocketGateway(runtime, make_spec(default=False), host="127.0.0.1", port=free_port())
    gw.start()
    try:

        async def scenario() -> dict[str, Any]:
            async with connect(f"{gw.url}?token=u") as ws:
                await ws.send("hello")
                return json.loads(await ws.recv())

        frame = run(scenario())
        assert frame["message"] == "Forbidden" and frame["connectionId"]
    finally:
        gw.stop()


def test_connections_api_with_and_without_stage_prefix(gateway: WebSocketGateway) -> None:
    async def scenario() -> tuple[list[str], str]:
        async with connect(f"{gateway.url}?token=u2") as ws:
            connection_id = wait_until(lambda: next(iter(gateway.connections), None))
            for api in (management(gateway), management(gateway, stage=False)):
                await asyncio.to_thread(
                    api.post_to_connection, ConnectionId=connection_id, Data="héllo".encode()
                )
            await asyncio.to_thread(
                management(gateway).post_to_connection, ConnectionId=connection_id, Data=b"\xff\x00"
            )
            return [await ws.recv() for _ in range(3)], connection_id

    frames, connection_id = run(scenario())
    assert frames == ["héllo", "héllo", b"\xff\x00"]  # UTF-8 data as text frames, anything else binary
    wait_until(lambda: gateway.runtime.functions.events_of("Disconnect"))
    disconnect = gateway.runtime.functions.events_of("Disconnect")[0]["requestContext"]
    assert disconnect["connectionId"] == connection_id and disconnect["disconnectStatusCode"] == 1000


def test_connections_api_errors(gateway: WebSocketGateway) -> None:
    api = management(gateway)
    with pytest.raises(api.exceptions.GoneException) as gone:
        api.post_to_connection(ConnectionId="unknownId=", Data=b"x")
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    with pytest.raises(api.exceptions.GoneException):
        api.delete_connection(ConnectionId="unknownId=")

    async def scenario() -> None:
        async with connect(f"{gateway.url}?token=u3", max_size=None):
            connection_id = wait_until(lambda: next(iter(gateway.connections), None))
            with pytest.raises(api.exceptions.PayloadTooLargeException):
                await asyncio.to_thread(
                    api.post_to_connection, ConnectionId=connection_id, Data=b"x" * (MAX_MESSAGE_BYTES + 1)
                )

    run(scenario())


def test_server_side_delete_fires_disconnect(gateway: WebSocketGateway) -> None:
    async def scenario() -> str:
        async with connect(f"{gateway.url}?token=u4") as ws:
            connection_id = wait_until(lambda: next(iter(gateway.connections), None))
            await asyncio.to_thread(management(gateway).delete_connection, ConnectionId=connection_id)
            await ws.wait_closed()
            return connection_id

    connection_id = run(scenario())
    event = wait_until(lambda: gateway.runtime.functions.events_of("Disconnect"))[0]
    assert event["requestContext"]["connectionId"] == connection_id
    assert gateway.connections == {}


def test_abrupt_client_loss_fires_disconnect_with_1006(gateway: WebSocketGateway) -> None:
    async def scenario() -> None:
        ws = await connect(f"{gateway.url}?token=u6")
        wait_until(lambda: gateway.connections)
        ws.transport.abort()  # no close frame: the TCP connection just drops

    run(scenario())
    event = wait_until(lambda: gateway.runtime.functions.events_of("Disconnect"))[0]
    assert event["requestContext"]["disconnectStatusCode"] == 1006
    assert event["requestContext"]["eventType"] == "DISCONNECT"


def test_a_post_racing_the_handshake_waits_for_it(gateway: WebSocketGateway) -> None:
    """$connect stores the id (so a notifier may post at once); the post waits for the upgrade to finish."""
    posted: list[int] = []

    def connect_and_post(event: dict[str, Any]) -> None:
        connection_id = event["requestContext"]["connectionId"]
        # post from another thread while $connect has not even returned yet
        asyncio.run_coroutine_threadsafe(
            gateway.post(connection_id, b"early"), gateway._loop
        ).add_done_callback(lambda f: posted.append(f.result()))

    gateway.runtime.functions.handlers["Connect"] = connect_and_post

    async def scenario() -> str:
        async with connect(f"{gateway.url}?token=u5") as ws:
            return await ws.recv()

    assert run(scenario()) == "early"
    assert posted == [200]


def test_plain_http_get_is_not_a_connection(gateway: WebSocketGateway) -> None:
    import httpx

    response = httpx.get(f"http://{gateway.host}:{gateway.port}/")
    assert response.status_code == 426
    assert gateway.runtime.functions.calls == []
    assert httpx.get(f"http://{gateway.host}:{gateway.port}/dev/@connections").status_code == 404


# --- reading the template ----------------------------------------------------------------------------------
def fixture_model() -> AppModel:
    model = AppModel.load(FIXTURE, {"DecisionTtlSeconds": "2"})
    register_resolver_hooks(model.resolver)
    install_endpoint_rewriting(model.resolver, declared_api_ids(model), "127.0.0.1", 3101)
    model.resolve_all()
    return model


def test_websocket_api_from_template() -> None:
    model = fixture_model()
    (api,) = websocket_apis(model)
    assert api.logical_id == "WebSocketApi" and api.stage == "test"
    assert api.selection_expression == "$request.body.action"
    routes = api.routes
    assert set(routes) == {"$connect", "$disconnect", "$default", "echo"}
    assert routes["$connect"].function == "WsConnectFunction"
    assert routes["$connect"].authorizer is not None
    assert routes["$connect"].authorizer.function == "WsAuthorizerFunction"
    assert routes["$connect"].authorizer.identity_sources == ["route.request.querystring.token"]
    assert routes["$default"].two_way and not routes["echo"].two_way  # RouteResponse / none
    assert routes["echo"].function == "WsEchoFunction"  # IntegrationUri built with !Join


def test_endpoint_env_resolves_to_the_local_server() -> None:
    environment = fixture_model().functions["WsEchoFunction"].environment
    assert environment["WEBSOCKET_ENDPOINT"] == "http://127.0.0.1:3101/test"
    assert environment["WEBSOCKET_URL"] == "ws://127.0.0.1:3101/test"


def test_route_to_unknown_integration_is_a_template_error(tmp_path: Path) -> None:
    text = FIXTURE.read_text().replace(
        "Target: !Sub integrations/${EchoIntegration}", "Target: integrations/nope"
    )
    broken = tmp_path / "template.yaml"
    broken.write_text(text)
    (tmp_path / "functions").symlink_to(FIXTURE.parent / "functions")
    model = AppModel.load(broken, {})
    register_resolver_hooks(model.resolver)
    model.resolve_all()
    with pytest.raises(TemplateError, match="EchoRoute"):
        websocket_apis(model)


def read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head


def test_connections_api_keeps_connections_alive_and_stops_promptly() -> None:
    import time

    runtime = fake_runtime(dict(HANDLERS))
    gw = WebSocketGateway(runtime, make_spec(), host="127.0.0.1", port=free_port())
    gw.start()
    idle = socket.create_connection((gw.host, gw.port))
    try:
        with socket.create_connection((gw.host, gw.port)) as sock:
            for _ in range(2):  # two requests on one connection
                sock.sendall(b"GET /dev/@connections/nope HTTP/1.1\r\nHost: x\r\n\r\n")
                head = read_response(sock)
                assert head.startswith(b"HTTP/1.1 410") and b"x-amzn-ErrorType: GoneException" in head
            sock.sendall(b"DELETE /@connections/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert read_response(sock).startswith(b"HTTP/1.1 410")
            assert sock.recv(1) == b""  # closed by the server as asked
        idle.sendall(b"GET /@connections/nope HTTP/1.1\r\nHost: x\r\n\r\n")
        read_response(idle)  # now an idle keep-alive client
    finally:
        started = time.monotonic()
        gw.stop()
        assert time.monotonic() - started < 3
        idle.close()
