"""The WebSocket API of the template, served locally with the `websockets` library, plus `@connections`.

What is read from the template (one `AWS::ApiGatewayV2::Api` with `ProtocolType: WEBSOCKET`):
`RouteSelectionExpression` (`$request.body.<path>`), its `AWS::ApiGatewayV2::Route`s
(`Target: integrations/<Integration>`), `AWS::ApiGatewayV2::Integration`s whose `IntegrationUri` names one
of our functions, an optional REQUEST `AWS::ApiGatewayV2::Authorizer` on `$connect`, the
`AWS::ApiGatewayV2::Stage` name, and `AWS::ApiGatewayV2::RouteResponse`s.

Behaviour, as API Gateway does it:
* `$connect` gets the query string and headers; the authorizer (if any) runs first: a missing identity source
  answers 401, a Deny policy 403, an authorizer raising "Unauthorized" 401, any other authorizer error 500.
  A `$connect` integration that raises answers 500, one returning a non-2xx `statusCode` answers that
  status: the handshake is refused and nothing is upgraded.
* Frames are routed by the selection expression, else to `$default`; with neither, the client gets
  `{"message": "Forbidden", ...}` like on AWS. A failing integration sends
  `{"message": "Internal server error", ...}`.
* A route is two-way when it declares `RouteResponseSelectionExpression` or has an
  `AWS::ApiGatewayV2::RouteResponse`; then the `body` of the integration's proxy response is sent back as a
  frame. One-way routes discard what the function returns (AWS does too).
* `$disconnect` fires once the connection is gone, whoever closed it; the connection is Gone by then.
* `@connections/{id}` (POST = PostToConnection, GET = GetConnection, DELETE = DeleteConnection) is served on
  the same port (plain HTTP/1.1, keep-alive), with an optional `/<stage>` prefix, so boto3's
  `apigatewaymanagementapi` client works with `endpoint_url` = the local form of
  `https://{api}.execute-api.{region}.amazonaws.com/{stage}`. Unknown or closed connections answer 410
  `GoneException` in the shape botocore parses.

Not reproduced: API keys, IAM authorization on routes, authorizer result caching, the 10-minute idle and
2-hour connection limits, and request/response templates of non-proxy integrations.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import fnmatch
import json
import logging
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from local.functions_ref import TemplateError, function_of, short_id

log = logging.getLogger("pitchey-local")

WS_API_TYPE = "AWS::ApiGatewayV2::Api"
MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway's WebSocket message limit
PENDING_CONNECTION_WAIT = 2.0  # a post racing the end of the handshake waits this long for it
HEAD_TIMEOUT = 10.0  # a client must send its request head within this time
HTTP_IDLE_TIMEOUT = 60.0  # idle keep-alive @connections clients are disconnected after this
_INTEGRATION_PATH = re.compile(r"integrations/([^/]+)$")


# --- the API as declared in the template -------------------------------------------------------------------
@dataclass
class WsAuthorizer:
    name: str
    function: str
    identity_sources: list[str]


@dataclass
class WsRoute:
    key: str
    function: str | None  # logical id of the integration's function; None = route without integration
    two_way: bool = False
    authorizer: WsAuthorizer | None = None


@dataclass
class WebSocketApiSpec:
    logical_id: str
    api_id: str
    stage: str
    selection_expression: str
    routes: dict[str, WsRoute] = field(default_factory=dict)


def _ref_target(node: Any) -> str | None:
    return node["Ref"] if isinstance(node, dict) and isinstance(node.get("Ref"), str) else None


def register_resolver_hooks(resolver: Any) -> None:
    """`!Ref` of ApiGatewayV2 sub-resources: ids (so `integrations/${Integration}` resolves), stage names."""
    for kind, length in (
        ("AWS::ApiGatewayV2::Integration", 7),
        ("AWS::ApiGatewayV2::Route", 7),
        ("AWS::ApiGatewayV2::Authorizer", 6),
        ("AWS::ApiGatewayV2::Deployment", 6),
        ("AWS::ApiGatewayV2::RouteResponse", 6),
        ("AWS::ApiGatewayV2::IntegrationResponse", 6),
    ):
        resolver.register_ref(kind, lambda lid, res, n=length: short_id(lid, n))
    resolver.register_ref(
        "AWS::ApiGatewayV2::Stage",
        lambda lid, res: str(resolver.resolve((res.get("Properties") or {}).get("StageName", lid), lid)),
    )


def websocket_apis(model: Any) -> list[WebSocketApiSpec]:
    """Every WEBSOCKET ApiGatewayV2 API of the template with its routes resolved to function logical ids."""
    resolve = model.resolver.resolve
    resources = model.template.get("Resources", {}) or {}

    def of_type(kind: str) -> dict[str, dict[str, Any]]:
        return {lid: res for lid, res in resources.items() if res.get("Type") == kind}

    apis: dict[str, WebSocketApiSpec] = {}
    for lid, res in of_type(WS_API_TYPE).items():
        props = res.get("Properties") or {}
        if str(resolve(props.get("ProtocolType", ""), lid)).upper() != "WEBSOCKET":
            continue
        expression = str(resolve(props.get("RouteSelectionExpression", "$request.body.action"), lid))
        apis[lid] = WebSocketApiSpec(lid, short_id(lid), "$default", expression)
    if not apis:
        return []

    def api_of(props: dict[str, Any], where: str) -> WebSocketApiSpec | None:
        return apis.get(_ref_target(props.get("ApiId")) or "")

    for lid, res in of_type("AWS::ApiGatewayV2::Stage").items():
        props = res.get("Properties") or {}
        api = api_of(props, lid)
        if api is not None:
            api.stage = str(resolve(props.get("StageName", "$default"), lid))

    integrations: dict[str, str] = {}  # integration id (and logical id) -> function logical id
    for lid, res in of_type("AWS::ApiGatewayV2::Integration").items():
        props = res.get("Properties") or {}
        if api_of(props, lid) is None:
            continue
        kind = str(resolve(props.get("IntegrationType", "AWS_PROXY"), lid))
        if kind not in ("AWS_PROXY", "AWS"):
            raise TemplateError(f"{lid}: IntegrationType {kind} is not supported locally (Lambda only)")
        function = function_of(model, props.get("IntegrationUri"), lid)
        integrations[short_id(lid, 7)] = integrations[lid] = function

    authorizers: dict[str, WsAuthorizer] = {}
    for lid, res in of_type("AWS::ApiGatewayV2::Authorizer").items():
        props = res.get("Properties") or {}
        if api_of(props, lid) is None:
            continue
        kind = str(resolve(props.get("AuthorizerType", "REQUEST"), lid))
        if kind != "REQUEST":
            raise TemplateError(f"{lid}: only REQUEST authorizers are supported on WebSocket APIs")
        sources = resolve(props.get("IdentitySource") or [], lid)
        sources = [sources] if isinstance(sources, str) else list(sources)
        authorizers[short_id(lid, 6)] = authorizers[lid] = WsAuthorizer(
            lid, function_of(model, props.get("AuthorizerUri"), lid), [str(s) for s in sources]
        )

    routes_with_response = {
        _ref_target((res.get("Properties") or {}).get("RouteId"))
        for res in of_type("AWS::ApiGatewayV2::RouteResponse").values()
    }
    for lid, res in of_type("AWS::ApiGatewayV2::Route").items():
        props = res.get("Properties") or {}
        api = api_of(props, lid)
        if api is None:
            continue
        key = str(resolve(props.get("RouteKey"), lid))
        target = props.get("Target")
        function = None
        if target is not None:
            match = _INTEGRATION_PATH.search(str(resolve(target, lid)))
            if not match or match.group(1) not in integrations:
                raise TemplateError(f"{lid}: Target {target!r} is not an integration of this template")
            function = integrations[match.group(1)]
        authorizer = None
        if str(resolve(props.get("AuthorizationType", "NONE"), lid)) == "CUSTOM":
            authorizer_ref = _ref_target(props.get("AuthorizerId")) or str(
                resolve(props.get("AuthorizerId"), lid)
            )
            if authorizer_ref not in authorizers:
                raise TemplateError(f"{lid}: AuthorizerId is not an authorizer of this template")
            authorizer = authorizers[authorizer_ref]
        two_way = "RouteResponseSelectionExpression" in props or lid in routes_with_response
        api.routes[key] = WsRoute(key, function, two_way, authorizer)
    return list(apis.values())


# --- requests and events ----------------------------------------------------------------------------------
def _aws_id() -> str:
    """An id shaped like API Gateway's connection/request ids (base64 of 10 bytes), URL-safe alphabet."""
    return base64.urlsafe_b64encode(os.urandom(10)).decode()


def _request_time(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Connection:
    connection_id: str
    connected_at: int  # epoch ms
    source_ip: str
    user_agent: str
    domain_name: str
    authorizer: dict[str, Any] | None
    socket: ServerConnection | None = None
    last_active_at: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    gone: bool = False


def _header_maps(headers: Headers) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers.raw_items():
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _query_maps(query: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def select_route_key(expression: str, body: str | bytes, routes: dict[str, WsRoute]) -> str | None:
    """API Gateway route selection: `$request.body.a.b` of a JSON text frame, else `$default` if declared."""
    key = None
    prefix = "$request.body."
    if expression.startswith(prefix) and isinstance(body, str):
        try:
            value: Any = json.loads(body)
        except (ValueError, RecursionError):  # a frame nested deeper than the stack selects no route
            value = None
        for part in expression[len(prefix) :].split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            key = str(value)
    if key is not None and key in routes and not key.startswith("$"):
        return key
    return "$default" if "$default" in routes else None


def policy_allows(policy: Any, method_arn: str) -> bool:
    """Evaluate an IAM policy document for execute-api:Invoke on `method_arn` (explicit Deny wins)."""
    statements = (policy or {}).get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        actions = statement.get("Action") or []
        resources = statement.get("Resource") or []
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if not any(fnmatch.fnmatchcase("execute-api:Invoke", a) or a == "*" for a in actions):
            continue
        if not any(fnmatch.fnmatchcase(method_arn, r) for r in resources):
            continue
        if str(statement.get("Effect", "")).lower() == "deny":
            return False
        if str(statement.get("Effect", "")).lower() == "allow":
            allowed = True
    return allowed


class Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# --- the gateway ------------------------------------------------------------------------------------------
class WebSocketGateway:
    """Runtime component serving the template's WebSocket API and its `@connections` endpoint on one port."""

    name = "websocket"

    def __init__(
        self,
        runtime: Any,
        spec: WebSocketApiSpec | None = None,
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        """`spec` defaults to the template's WebSocket API, read at start() (functions are resolved then)."""
        self.runtime = runtime
        self.spec = spec
        config = getattr(runtime, "config", None)
        self.host = host or getattr(config, "host", "127.0.0.1")
        self.port = port if port is not None else int(getattr(config, "ws_port", 3001))
        resolver = runtime.model.resolver
        self.region = resolver.region
        self.account = resolver.account
        self.connections: dict[str, Connection] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Future[None] | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._server: Server | None = None
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="ws-invoke")

    # --- lifecycle ----------------------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        """The `@connections` endpoint functions use (boto3 `endpoint_url`), stage included like on AWS."""
        stage = "" if self.spec is None or self.spec.stage == "$default" else f"/{self.spec.stage}"
        return f"http://{self.host}:{self.port}{stage}"

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    def start(self) -> None:
        if self.spec is None:
            apis = websocket_apis(self.runtime.model)
            if len(apis) > 1:
                names = ", ".join(a.logical_id for a in apis)
                raise TemplateError(f"only one WebSocket API can be served locally; found {names}")
            self.spec = apis[0] if apis else None
        if self.spec is None:
            return  # the template declares no WebSocket API
        self._thread = threading.Thread(target=self._run, name="websocket", daemon=True)
        self._thread.start()
        self._started.wait(timeout=10)
        if self._start_error is not None:
            raise self._start_error

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(lambda: self._stopped.done() or self._stopped.set_result(None))
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def health(self) -> bool:
        if self.spec is None:
            return True
        return self._thread is not None and self._thread.is_alive() and self._server is not None

    def describe(self) -> dict[str, Any]:
        if self.spec is None:
            return {"enabled": False}
        return {
            "enabled": True,
            "api": self.spec.logical_id,
            "apiId": self.spec.api_id,
            "stage": self.spec.stage,
            "url": self.url,
            "connectionsEndpoint": self.endpoint,
            "routes": sorted(self.spec.routes),
            "connections": len(self.connections),
        }

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # surfaced to start()
            self._start_error = error
            self._started.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = self._loop.create_future()
        gateway = self

        http_clients: set[_SniffingConnection] = set()

        class _Connection(_SniffingConnection):
            def handle_http(self, method: str, target: str, headers: Headers, body: bytes) -> None:
                http_clients.add(self)
                self.loop.create_task(gateway._answer(self, method, target, headers, body))

            def connection_lost(self, exc: Exception | None) -> None:
                http_clients.discard(self)
                super().connection_lost(exc)

        async with serve(
            self._session,
            self.host,
            self.port,
            process_request=self._on_connect,
            process_response=self._after_handshake,
            create_connection=_Connection,
            max_size=MAX_MESSAGE_BYTES,
            open_timeout=None,  # $connect may take a cold start; HEAD_TIMEOUT guards idle sockets
            ping_interval=None,  # API Gateway does not ping; clients keep their own keep-alive
            server_header="pitchey-local",
        ) as server:
            self._server = server
            self._started.set()
            await self._stopped
            server.close(close_connections=True)
            for client in list(http_clients):  # idle keep-alive @connections clients
                client.transport.close()
            await asyncio.wait_for(server.wait_closed(), timeout=8)
        self._server = None

    # --- invoking functions -------------------------------------------------------------------------------
    async def _invoke(self, function: str, event: dict[str, Any]) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: self.runtime.functions.invoke(function, event))

    def _context(self, conn: Connection, route_key: str, event_type: str) -> dict[str, Any]:
        """API Gateway's `requestContext` for an event of this connection."""
        assert self.spec is not None
        now = _now_ms()
        request_id = _aws_id()
        context: dict[str, Any] = {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": _request_time(now),
            "messageDirection": "IN",
            "stage": self.spec.stage,
            "connectedAt": conn.connected_at,
            "requestTimeEpoch": now,
            "identity": {"sourceIp": conn.source_ip, "userAgent": conn.user_agent},
            "requestId": request_id,
            "domainName": conn.domain_name,
            "connectionId": conn.connection_id,
            "apiId": self.spec.api_id,
        }
        if conn.authorizer is not None:
            context["authorizer"] = conn.authorizer
        return context

    # --- $connect -----------------------------------------------------------------------------------------
    async def _on_connect(self, socket: ServerConnection, request: Request) -> Response | None:
        assert self.spec is not None
        if "websocket" not in request.headers.get("Upgrade", "").lower():
            return socket.respond(HTTPStatus.UPGRADE_REQUIRED, "WebSocket upgrade required\n")
        conn = Connection(
            connection_id=_aws_id(),
            connected_at=_now_ms(),
            source_ip=str(socket.remote_address[0]) if socket.remote_address else "127.0.0.1",
            user_agent=request.headers.get("User-Agent", ""),
            domain_name=request.headers.get("Host", f"{self.host}:{self.port}"),
            authorizer=None,
        )
        conn.last_active_at = conn.connected_at
        headers, multi_headers = _header_maps(request.headers)
        headers.setdefault("X-Forwarded-For", conn.source_ip)
        multi_headers.setdefault("X-Forwarded-For", [conn.source_ip])
        query, multi_query = _query_maps(urlsplit(request.path).query)
        route = self.spec.routes.get("$connect")
        try:
            if route is not None and route.authorizer is not None:
                conn.authorizer = await self._authorize(
                    route.authorizer, conn, headers, multi_headers, query, multi_query
                )
            # Known from here on: $connect usually stores the id, and a post racing the end of the
            # handshake waits for it (see _connection_for) instead of finding the connection Gone.
            self.connections[conn.connection_id] = conn
            if route is not None and route.function is not None:
                event: dict[str, Any] = {
                    "headers": headers,
                    "multiValueHeaders": multi_headers,
                    "requestContext": self._context(conn, "$connect", "CONNECT"),
                    "isBase64Encoded": False,
                }
                if query:
                    event["queryStringParameters"] = query
                    event["multiValueQueryStringParameters"] = multi_query
                result = await self._invoke(route.function, event)
                if result.error is not None:
                    log.warning("$connect %s failed: %s", route.function, result.error.get("errorMessage"))
                    raise Refusal(500, "Internal server error")
                status = _status_of(result.payload)
                if not 200 <= status < 300:
                    raise Refusal(status, _body_message(result.payload, status))
        except Refusal as refusal:
            self._forget(conn)
            return _json_response(socket, refusal.status, {"message": refusal.message})
        except BaseException:
            self._forget(conn)
            raise
        socket.pitchey_connection = conn  # type: ignore[attr-defined]
        return None

    def _forget(self, conn: Connection) -> None:
        conn.gone = True
        self.connections.pop(conn.connection_id, None)
        conn.ready.set()  # wake posts waiting for the handshake: they answer Gone

    def _after_handshake(self, socket: ServerConnection, request: Request, response: Response) -> None:
        """A handshake websockets refused after $connect accepted it (bad key) leaves no connection."""
        conn = getattr(socket, "pitchey_connection", None)
        if conn is not None and response.status_code != HTTPStatus.SWITCHING_PROTOCOLS:
            self._forget(conn)

    async def _authorize(
        self,
        authorizer: WsAuthorizer,
        conn: Connection,
        headers: dict[str, str],
        multi_headers: dict[str, list[str]],
        query: dict[str, str],
        multi_query: dict[str, list[str]],
    ) -> dict[str, Any]:
        assert self.spec is not None
        lower_headers = {k.lower(): v for k, v in headers.items()}
        for source in authorizer.identity_sources:
            if source.startswith("route.request.querystring."):
                value = query.get(source.rsplit(".", 1)[1])
            elif source.startswith("route.request.header."):
                value = lower_headers.get(source.split("route.request.header.", 1)[1].lower())
            else:
                value = "present"  # stage variables / context sources are not checked locally
            if not value:
                raise Refusal(401, "Unauthorized")
        method_arn = (
            f"arn:aws:execute-api:{self.region}:{self.account}:{self.spec.api_id}/{self.spec.stage}/$connect"
        )
        event: dict[str, Any] = {
            "type": "REQUEST",
            "methodArn": method_arn,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "stageVariables": {},
            "requestContext": self._context(conn, "$connect", "CONNECT"),
        }
        started = time.monotonic()
        result = await self._invoke(authorizer.function, event)
        latency = int((time.monotonic() - started) * 1000)
        if result.error is not None:
            if result.error.get("errorMessage") == "Unauthorized":
                raise Refusal(401, "Unauthorized")
            log.warning("authorizer %s failed: %s", authorizer.function, result.error.get("errorMessage"))
            raise Refusal(500, "Internal Server Error")
        response = result.payload if isinstance(result.payload, dict) else {}
        if not policy_allows(response.get("policyDocument"), method_arn):
            raise Refusal(403, "Forbidden")
        context = dict(response.get("context") or {})
        context["principalId"] = response.get("principalId")
        context["integrationLatency"] = latency
        return context

    # --- messages and $disconnect -------------------------------------------------------------------------
    async def _session(self, socket: ServerConnection) -> None:
        conn: Connection = socket.pitchey_connection  # type: ignore[attr-defined]
        conn.socket = socket
        conn.ready.set()
        tasks: set[asyncio.Task[None]] = set()
        try:
            async for message in socket:
                conn.last_active_at = _now_ms()
                task = asyncio.get_running_loop().create_task(self._on_message(conn, message))
                tasks.add(task)  # frames are handled concurrently, as API Gateway invokes them
                task.add_done_callback(tasks.discard)
        except ConnectionClosed:
            pass
        finally:
            self._forget(conn)
            await self._on_disconnect(conn, socket)

    async def _on_message(self, conn: Connection, message: str | bytes) -> None:
        assert self.spec is not None
        route_key = select_route_key(self.spec.selection_expression, message, self.spec.routes)
        context = self._context(conn, route_key or "$default", "MESSAGE")
        context["messageId"] = _aws_id()
        if route_key is None or self.spec.routes[route_key].function is None:
            await self._reply(conn, json.dumps(_gateway_error("Forbidden", conn, context)))
            return
        route = self.spec.routes[route_key]
        is_binary = isinstance(message, bytes)
        body = base64.b64encode(message).decode() if is_binary else message
        event = {"requestContext": context, "body": body, "isBase64Encoded": is_binary}
        result = await self._invoke(route.function, event)  # type: ignore[arg-type]
        if result.error is not None:
            log.warning(
                "route %s -> %s failed: %s", route_key, route.function, result.error.get("errorMessage")
            )
            await self._reply(conn, json.dumps(_gateway_error("Internal server error", conn, context)))
            return
        if route.two_way:
            reply = _proxy_body(result.payload)
            if reply is not None:
                await self._reply(conn, reply)

    async def _reply(self, conn: Connection, data: str | bytes) -> None:
        if conn.socket is None or conn.gone:
            return
        with contextlib.suppress(ConnectionClosed):
            await conn.socket.send(data)

    async def _on_disconnect(self, conn: Connection, socket: ServerConnection) -> None:
        assert self.spec is not None
        route = self.spec.routes.get("$disconnect")
        if route is None or route.function is None:
            return
        code, reason = _close_status(socket)
        context = self._context(conn, "$disconnect", "DISCONNECT")
        context["disconnectStatusCode"] = code
        context["disconnectReason"] = reason
        event = {
            "headers": {"Host": conn.domain_name, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""},
            "multiValueHeaders": {
                "Host": [conn.domain_name],
                "x-api-key": [""],
                "X-Forwarded-For": [""],
                "x-restapi": [""],
            },
            "requestContext": context,
            "isBase64Encoded": False,
        }
        try:
            result = await self._invoke(route.function, event)
        except RuntimeError:  # the invoke pool is shutting down with the runtime
            return
        if result.error is not None:
            log.warning("$disconnect %s failed: %s", route.function, result.error.get("errorMessage"))

    # --- @connections -------------------------------------------------------------------------------------
    async def _connection_for(self, connection_id: str) -> Connection | None:
        conn = self.connections.get(connection_id)
        if conn is None or conn.gone:
            return None
        if not conn.ready.is_set():
            try:
                await asyncio.wait_for(conn.ready.wait(), timeout=PENDING_CONNECTION_WAIT)
            except TimeoutError:
                return None
        return None if conn.gone else conn

    async def post(self, connection_id: str, data: bytes) -> int:
        """PostToConnection: 200, 410 (Gone) or 413 (too large)."""
        if len(data) > MAX_MESSAGE_BYTES:
            return 413
        conn = await self._connection_for(connection_id)
        if conn is None or conn.socket is None:
            return 410
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        try:
            await conn.socket.send(text if text is not None else data)
        except ConnectionClosed:
            return 410
        return 200

    async def _answer(
        self, http: _SniffingConnection, method: str, target: str, headers: Headers, body: bytes
    ) -> None:
        try:
            await self._management(http, method, target, headers, body)
        except Exception:  # a bug here must not leave the caller waiting for an answer
            log.exception("@connections %s %s failed", method, target)
            if http.answering:
                http.send_http(500, {"message": "Internal server error"}, error_type="InternalServerError")

    async def _management(
        self, http: _SniffingConnection, method: str, target: str, headers: Headers, body: bytes
    ) -> None:
        path = unquote(urlsplit(target).path)
        match = re.fullmatch(r"(?:/[^/@]+)?/@connections/([^/]+)/?", path)
        if match is None:
            http.send_http(404, {"message": "Not Found"}, error_type="NotFoundException")
            return
        connection_id = match.group(1)
        if method == "POST":
            status = await self.post(connection_id, body)
            if status == 200:
                http.send_http(200, None)
            elif status == 413:
                http.send_http(413, {"message": "Message too long"}, error_type="PayloadTooLargeException")
            else:
                http.send_http(410, {"message": None}, error_type="GoneException")
        elif method == "GET":
            conn = await self._connection_for(connection_id)
            if conn is None:
                http.send_http(410, {"message": None}, error_type="GoneException")
                return
            http.send_http(
                200,
                {
                    "connectedAt": _iso(conn.connected_at),
                    "identity": {"sourceIp": conn.source_ip, "userAgent": conn.user_agent},
                    "lastActiveAt": _iso(conn.last_active_at),
                },
            )
        elif method == "DELETE":
            conn = await self._connection_for(connection_id)
            if conn is None or conn.socket is None:
                http.send_http(410, {"message": None}, error_type="GoneException")
                return
            conn.gone = True
            http.send_http(204, None)
            await conn.socket.close(1000, "Going away")  # then _session fires $disconnect
        else:
            http.send_http(405, {"message": "Method Not Allowed"}, error_type="MethodNotAllowedException")

    # --- thread-safe helpers for tests and benches --------------------------------------------------------
    def post_threadsafe(self, connection_id: str, data: bytes | str, timeout: float = 10) -> int:
        assert self._loop is not None
        payload = data.encode() if isinstance(data, str) else data
        return asyncio.run_coroutine_threadsafe(self.post(connection_id, payload), self._loop).result(timeout)


def _status_of(payload: Any) -> int:
    """A proxy response's statusCode; responses without one (None, plain values) count as 200."""
    if isinstance(payload, dict) and "statusCode" in payload:
        try:
            return int(payload["statusCode"])
        except (TypeError, ValueError):
            return 502
    return 200


def _body_message(payload: Any, status: int) -> str:
    body = payload.get("body") if isinstance(payload, dict) else None
    if isinstance(body, str) and body:
        try:
            parsed = json.loads(body)
            if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
                return parsed["message"]
        except ValueError:
            return body
    return HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Refused"


def _proxy_body(payload: Any) -> str | None:
    """What a two-way route sends back: the proxy response's `body` (JSON-encoded if not a string)."""
    if not isinstance(payload, dict) or payload.get("body") is None:
        return None
    body = payload["body"]
    if payload.get("isBase64Encoded") and isinstance(body, str):
        return base64.b64decode(body).decode("utf-8", "replace")
    return body if isinstance(body, str) else json.dumps(body)


def _gateway_error(message: str, conn: Connection, context: dict[str, Any]) -> dict[str, Any]:
    return {"message": message, "connectionId": conn.connection_id, "requestId": context["requestId"]}


def _close_status(socket: ServerConnection) -> tuple[int, str]:
    """The close code/reason API Gateway reports in $disconnect (1005 when the client sent none)."""
    received = socket.protocol.close_rcvd
    sent = socket.protocol.close_sent
    if received is not None:
        if received.code == 1005:
            return 1005, "Client-side close frame status not set"
        return received.code, received.reason
    if sent is not None:
        return sent.code, sent.reason or "Connection closed by the server"
    return 1006, "Connection closed abnormally"


def _json_response(socket: ServerConnection, status: int, payload: Any) -> Response:
    response = socket.respond(status, "")
    body = json.dumps(payload).encode()
    response.body = body
    for name, value in (("Content-Type", "application/json"), ("Content-Length", str(len(body)))):
        del response.headers[name]  # Headers is a multi-dict: replace, not append
        response.headers[name] = value
    return response


class _SniffingConnection(ServerConnection):
    """A WebSocket connection that first looks at the HTTP request: `@connections` calls (any method, no
    Upgrade) are answered as plain HTTP/1.1 with keep-alive on the same port; everything else is a WebSocket
    handshake handed to websockets."""

    _MAX_HEAD = 64 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._mode: str | None = None  # None until the first request head is read, then "ws" or "http"
        self._buffer = bytearray()
        self._http_head: tuple[str, str, Headers, int] | None = None
        self._busy = False  # an HTTP request is being answered (requests on a connection are sequential)
        self._close_after = False
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm_timer(HEAD_TIMEOUT)  # a client that never sends a request head is dropped

    def _arm_timer(self, seconds: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_later(seconds, self.transport.close)

    def data_received(self, data: bytes) -> None:
        if self._mode == "ws":
            super().data_received(data)
            return
        self._buffer += data
        self._pump()

    def _pump(self) -> None:
        if self._busy:
            return
        if self._http_head is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > self._MAX_HEAD:
                    self.transport.close()
                return
            method, target, headers = _parse_head(bytes(self._buffer[:end]))
            if self._mode is None and (
                "websocket" in headers.get("Upgrade", "").lower() or "/@connections" not in target
            ):
                self._mode = "ws"
                if self._timer is not None:
                    self._timer.cancel()
                buffered, self._buffer = bytes(self._buffer), bytearray()
                super().data_received(buffered)
                return
            self._mode = "http"
            del self._buffer[: end + 4]
            self._close_after = headers.get("Connection", "").lower() == "close"
            self._http_head = (method, target, headers, int(headers.get("Content-Length", "0") or 0))
        method, target, headers, length = self._http_head
        if len(self._buffer) < length:
            return
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        self._http_head = None
        self._busy = True
        if self._timer is not None:
            self._timer.cancel()
        self.handle_http(method, target, headers, body)

    def handle_http(self, method: str, target: str, headers: Headers, body: bytes) -> None:
        raise NotImplementedError

    @property
    def answering(self) -> bool:
        """A request was handed to handle_http and its response is not written yet."""
        return self._busy

    def eof_received(self) -> bool | None:
        if self._mode == "http":
            return None  # the client is done: close the transport
        return super().eof_received()

    def send_http(self, status: int, payload: Any, error_type: str | None = None) -> None:
        """Write the response to the current request, then read the next one (or close if asked to)."""
        body = b"" if payload is None else json.dumps(payload).encode()
        lines = [
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
            f"Date: {formatdate(usegmt=True)}",
            f"Connection: {'close' if self._close_after else 'keep-alive'}",
            f"Content-Length: {len(body)}",
            f"x-amzn-RequestId: {uuid.uuid4()}",
        ]
        if payload is not None:
            lines.append("Content-Type: application/json")
        if error_type:
            lines.append(f"x-amzn-ErrorType: {error_type}")
        if self.transport.is_closing():
            return
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        self._busy = False
        if self._close_after:
            self.transport.close()
            return
        self._arm_timer(HTTP_IDLE_TIMEOUT)
        self._pump()


def _parse_head(head: bytes) -> tuple[str, str, Headers]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    method, target = (parts[0], parts[1]) if len(parts) >= 3 else ("", "")
    headers = Headers()
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    return method, target, headers


# --- runtime plugin ---------------------------------------------------------------------------------------
def declared_api_ids(model: Any) -> list[str]:
    """Ids (`!Ref`) of the template's WEBSOCKET APIs, known before functions are resolved."""
    resolve = model.resolver.resolve
    return [
        short_id(lid)
        for lid, res in (model.template.get("Resources", {}) or {}).items()
        if res.get("Type") == WS_API_TYPE
        and str(resolve((res.get("Properties") or {}).get("ProtocolType", ""), lid)).upper() == "WEBSOCKET"
    ]


def install_endpoint_rewriting(resolver: Any, api_ids: list[str], host: str, port: int) -> None:
    """Make every resolved value that is the AWS URL of a WebSocket API point at the local server, so an
    environment variable like `!Sub https://${WebSocketApi}.execute-api.${AWS::Region}.amazonaws.com/${Stage}`
    is `http://127.0.0.1:3001/dev` locally (`wss://` becomes `ws://`). The resolver offers no post-resolution
    hook, so its `resolve` is wrapped on this instance."""
    if not api_ids:
        return
    ids = "|".join(re.escape(api_id) for api_id in api_ids)
    pattern = re.compile(rf"\b(https|wss)://(?:{ids})\.execute-api\.[a-z0-9-]+\.amazonaws\.com")
    original = resolver.resolve

    def resolve(node: Any, where: str) -> Any:
        value = original(node, where)
        if isinstance(value, str) and ".execute-api." in value:
            value = pattern.sub(
                lambda m: f"{'http' if m.group(1) == 'https' else 'ws'}://{host}:{port}", value
            )
        return value

    resolver.resolve = resolve


def setup(runtime: Any) -> None:
    """Runtime plugin hook (see local/runtime.py): resolver hooks, endpoint rewriting, the gateway."""
    register_resolver_hooks(runtime.model.resolver)
    gateway = WebSocketGateway(runtime)
    install_endpoint_rewriting(
        runtime.model.resolver, declared_api_ids(runtime.model), gateway.host, gateway.port
    )
    runtime.add_component(gateway)
