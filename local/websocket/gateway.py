"""The WebSocket gateway component: one port for the WebSocket API and its `@connections` endpoint.

The port is served by the runtime's shared HTTP server (local/httpapi.py): `@connections` requests are
answered there (local/websocket/management.py); a request with `Upgrade: websocket` is handed over - the
socket and its request head - to the `websockets` library on the gateway's event loop, which does the
handshake and the frames. `websockets` itself listens only on an unused loopback port, because it offers
no public way to adopt an accepted socket.

`$connect` (this module): the authorizer (if any) runs first: a missing identity source answers 401, a Deny
policy 403, an authorizer raising "Unauthorized" 401, any other authorizer error 500. A `$connect`
integration that raises answers 500, one returning a non-2xx `statusCode` answers that status: the
handshake is refused and nothing is upgraded. Messages and `$disconnect`: local/websocket/routing.py.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import logging
import shutil
import socket
import threading
import time
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from local.functions_ref import TemplateError
from local.httpapi import HttpRequest, HttpResponse, HttpServerComponent, gateway_message
from local.websocket.connections import MAX_MESSAGE_BYTES, Connection, ConnectionRegistry, aws_id, now_ms
from local.websocket.management import ConnectionsApi, is_management_path
from local.websocket.routing import RouteDispatcher
from local.websocket.spec import WebSocketApiSpec, WsAuthorizer, websocket_apis

log = logging.getLogger("pitchey-local")
LOOP_CALL_TIMEOUT = 10.0  # an @connections call waits at most this long for the event loop


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


def _json_response(socket: ServerConnection, status: int, payload: Any) -> Response:
    response = socket.respond(status, "")
    body = json.dumps(payload).encode()
    response.body = body
    for name, value in (("Content-Type", "application/json"), ("Content-Length", str(len(body)))):
        del response.headers[name]  # Headers is a multi-dict: replace, not append
        response.headers[name] = value
    return response


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
        self.registry = ConnectionRegistry()
        self.dispatcher: RouteDispatcher | None = None
        self.management = ConnectionsApi(self.registry, self._run_on_loop)
        self._http: HttpServerComponent | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Future[None] | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._server: Server | None = None
        self._adopt_factory: Any = None
        self._tls: Any = None  # ssl.SSLContext once enable_tls() ran
        self._tls_dir: Path | None = None
        self._tls_thread: threading.Thread | None = None

    def enable_tls(self) -> Path:
        """Serve TLS on this port too (local/localtls.py); returns the CA bundle functions must trust. The
        certificate is made in the background (start() waits for it): the start-up's CPU is moto's."""
        import tempfile

        from local.localtls import BUNDLE_NAME, generate

        directory = self._tls_dir = Path(tempfile.mkdtemp(prefix="pitchey-local-tls-"))

        def make() -> None:
            self._tls, _ = generate(directory, self.host)

        self._tls_thread = threading.Thread(target=make, name="tls-certificate", daemon=True)
        self._tls_thread.start()
        return directory / BUNDLE_NAME

    @property
    def connections(self) -> dict[str, Connection]:
        return self.registry.connections

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
        self.dispatcher = RouteDispatcher(self.runtime, self.spec, self.registry)
        if self._tls_thread is not None:
            self._tls_thread.join(timeout=30)
            if self._tls is None:
                raise RuntimeError("could not create the local TLS certificate of the WebSocket port")
        self._http = HttpServerComponent(self, self.host, self.port, self._tls)  # binds now: busy port fails
        self._thread = threading.Thread(target=self._run, name="websocket", daemon=True)
        self._thread.start()
        self._started.wait(timeout=10)
        if self._start_error is not None:
            self._http.stop()
            raise self._start_error
        self._http.start()

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()  # no new requests or upgrades
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(lambda: self._stopped.done() or self._stopped.set_result(None))
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.dispatcher is not None:
            self.dispatcher.shutdown()
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)

    def health(self) -> bool:
        if self.spec is None:
            return True
        return (
            self._thread is not None
            and self._thread.is_alive()
            and self._server is not None
            and self._http is not None
            and self._http.health()
        )

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
        async with serve(
            self._session,
            "127.0.0.1",
            0,  # never connected to: sockets arrive through upgrade()
            process_request=self._on_connect,
            process_response=self._after_handshake,
            max_size=MAX_MESSAGE_BYTES,
            open_timeout=None,  # $connect may take a cold start
            ping_interval=None,  # API Gateway does not ping; clients keep their own keep-alive
            server_header="pitchey-local",
        ) as server:
            # asyncio's Server keeps the protocol factory serve() gave it: the one way to build websockets'
            # connection (with its handshake handler) for a socket accepted elsewhere.
            self._adopt_factory = server.server._protocol_factory  # type: ignore[attr-defined]
            self._server = server
            self._started.set()
            await self._stopped
            server.close(close_connections=True)
            await asyncio.wait_for(server.wait_closed(), timeout=8)
        self._server = None

    def _run_on_loop(self, coroutine: Any) -> Any:
        loop = self._loop
        if loop is None:
            coroutine.close()
            raise RuntimeError("the WebSocket gateway is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(LOOP_CALL_TIMEOUT)

    def post_threadsafe(self, connection_id: str, data: bytes | str, timeout: float = 10) -> int:
        """PostToConnection from another thread (tests and benches)."""
        payload = data.encode() if isinstance(data, str) else data
        return self._run_on_loop(self.registry.post(connection_id, payload))

    async def post(self, connection_id: str, data: bytes) -> int:
        return await self.registry.post(connection_id, data)

    # --- the shared HTTP server's gateway interface ------------------------------------------------------
    def handle(self, request: HttpRequest) -> HttpResponse:
        """Plain HTTP on the WebSocket port: `@connections`, else 426 as API Gateway answers."""
        if is_management_path(request.path):
            return self.management.handle(request)
        response = gateway_message(426, "WebSocket upgrade required")
        return response

    def upgrade(self, fd: int, head: bytes) -> None:
        """Take over an accepted socket whose request head (already read) asks for a WebSocket upgrade."""
        sock = socket.socket(fileno=fd)
        loop = self._loop
        if loop is None or self._stopped is None or self._stopped.done():
            sock.close()
            return
        asyncio.run_coroutine_threadsafe(self._adopt(sock, head), loop)

    async def _adopt(self, sock: socket.socket, head: bytes) -> None:
        assert self._loop is not None
        sock.setblocking(False)
        try:
            _, connection = await self._loop.connect_accepted_socket(self._adopt_factory, sock)
        except OSError:
            sock.close()
            return
        # The client waits for our 101 before sending anything else (RFC 6455, 4.1), so the head is
        # the whole of what it has sent.
        connection.data_received(head)

    # --- $connect -----------------------------------------------------------------------------------------
    async def _on_connect(self, socket: ServerConnection, request: Request) -> Response | None:
        assert self.spec is not None and self.dispatcher is not None
        if "websocket" not in request.headers.get("Upgrade", "").lower():
            return socket.respond(HTTPStatus.UPGRADE_REQUIRED, "WebSocket upgrade required\n")
        conn = Connection(
            connection_id=aws_id(),
            connected_at=now_ms(),
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
            # handshake waits for it (see ConnectionRegistry.find) instead of finding the connection Gone.
            self.registry.add(conn)
            if route is not None and route.function is not None:
                event: dict[str, Any] = {
                    "headers": headers,
                    "multiValueHeaders": multi_headers,
                    "requestContext": self.dispatcher.context(conn, "$connect", "CONNECT"),
                    "isBase64Encoded": False,
                }
                if query:
                    event["queryStringParameters"] = query
                    event["multiValueQueryStringParameters"] = multi_query
                result = await self.dispatcher.invoke(route.function, event)
                if result.error is not None:
                    log.warning("$connect %s failed: %s", route.function, result.error.get("errorMessage"))
                    raise Refusal(500, "Internal server error")
                status = _status_of(result.payload)
                if not 200 <= status < 300:
                    raise Refusal(status, _body_message(result.payload, status))
        except Refusal as refusal:
            self.registry.forget(conn)
            return _json_response(socket, refusal.status, {"message": refusal.message})
        except BaseException:
            self.registry.forget(conn)
            raise
        socket.pitchey_connection = conn  # type: ignore[attr-defined]
        return None

    def _after_handshake(self, socket: ServerConnection, request: Request, response: Response) -> None:
        """A handshake websockets refused after $connect accepted it (bad key) leaves no connection."""
        conn = getattr(socket, "pitchey_connection", None)
        if conn is not None and response.status_code != HTTPStatus.SWITCHING_PROTOCOLS:
            self.registry.forget(conn)

    async def _authorize(
        self,
        authorizer: WsAuthorizer,
        conn: Connection,
        headers: dict[str, str],
        multi_headers: dict[str, list[str]],
        query: dict[str, str],
        multi_query: dict[str, list[str]],
    ) -> dict[str, Any]:
        assert self.spec is not None and self.dispatcher is not None
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
            "requestContext": self.dispatcher.context(conn, "$connect", "CONNECT"),
        }
        started = time.monotonic()
        result = await self.dispatcher.invoke(authorizer.function, event)
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

    # --- the connection -----------------------------------------------------------------------------------
    async def _session(self, socket: ServerConnection) -> None:
        assert self.dispatcher is not None
        conn: Connection = socket.pitchey_connection  # type: ignore[attr-defined]
        conn.socket = socket
        conn.ready.set()
        tasks: set[asyncio.Task[None]] = set()
        try:
            async for message in socket:
                conn.last_active_at = now_ms()
                task = asyncio.get_running_loop().create_task(self.dispatcher.on_message(conn, message))
                tasks.add(task)  # frames are handled concurrently, as API Gateway invokes them
                task.add_done_callback(tasks.discard)
        except ConnectionClosed:
            pass
        finally:
            self.registry.forget(conn)
            await self.dispatcher.on_disconnect(conn, socket)
