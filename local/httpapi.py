"""The HTTP API gateway: API Gateway HTTP API (payload format 2.0) semantics over a threaded HTTP server.

Routes, the Lambda REQUEST authorizer and CORS come from the template (see `AppModel.apis`). Requests under
`/_local/` go to admin routes that the runtime and its plugins register.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import json
import logging
import re
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote

from local.model import HttpApi, Route

log = logging.getLogger("pitchey-local")
MAX_BODY_BYTES = 10 * 1024 * 1024  # HTTP API's payload limit
_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|javascript|xml|x-yaml|yaml|graphql|ld\+json)|.*\+(json|xml))$",
    re.IGNORECASE,
)


# --- requests and responses ------------------------------------------------------------------------------
@dataclass
class HttpRequest:
    method: str
    raw_path: str  # as sent, percent-encoded
    raw_query: str
    headers: list[tuple[str, str]]  # as received, duplicates kept
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"
    received_at: float = field(default_factory=time.time)
    path_params: dict[str, str] = field(default_factory=dict)  # admin routes fill this

    @property
    def path(self) -> str:
        return unquote(self.raw_path)

    def header(self, name: str, default: str | None = None) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(values) if values else default

    def query(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for key, value in parse_qsl(self.raw_query, keep_blank_values=True):
            result.setdefault(key, []).append(value)
        return result

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def set_header(self, name: str, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()] + [(name, value)]


def json_response(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    body = json.dumps(payload, default=str).encode()
    return HttpResponse(status, [("Content-Type", "application/json"), *(headers or [])], body)


def gateway_message(status: int, message: str) -> HttpResponse:
    """API Gateway's own answers: `{"message": "..."}`."""
    return json_response(status, {"message": message})


# --- admin routes ----------------------------------------------------------------------------------------
AdminHandler = Callable[[HttpRequest], HttpResponse]


class AdminRoutes:
    """`/_local/...` endpoints. Patterns use `{name}` segments; `{name+}` takes the rest of the path."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], AdminHandler]] = []

    def add(self, method: str, pattern: str, handler: AdminHandler) -> None:
        regex = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(pattern))
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
        compiled = re.compile(f"^{regex}$")
        # Registering the same method+pattern again replaces the route (plugins fill reserved routes).
        self._routes = [
            r for r in self._routes if not (r[0] == method.upper() and r[1].pattern == compiled.pattern)
        ]
        self._routes.append((method.upper(), compiled, handler))

    def dispatch(self, request: HttpRequest) -> HttpResponse:
        path_matched = False
        for method, regex, handler in self._routes:
            match = regex.match(request.path)
            if not match:
                continue
            path_matched = True
            if method == request.method:
                request.path_params = {k: unquote(v) for k, v in match.groupdict().items()}
                return handler(request)
        if path_matched:
            return gateway_message(405, "Method Not Allowed")
        return gateway_message(404, "Not Found")


# --- routing ---------------------------------------------------------------------------------------------
@dataclass
class _CompiledRoute:
    route: Route
    segments: list[tuple[str, str]]  # (kind, text): kind literal | param | greedy

    def match(self, segments: list[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for index, (kind, text) in enumerate(self.segments):
            if kind == "greedy":
                rest = segments[index:]
                if not rest or rest == [""]:
                    return None  # {proxy+} needs at least one segment
                params[text] = "/".join(rest)
                return params
            if index >= len(segments):
                return None
            if kind == "literal":
                if segments[index] != text:
                    return None
            elif not segments[index]:
                return None
            else:
                params[text] = segments[index]
        return params if len(segments) == len(self.segments) else None

    def priority(self) -> tuple[Any, ...]:
        """Lower sorts first: literal segments beat parameters beat greedy, left to right; a route with an
        explicit method beats ANY."""
        ranks = tuple({"literal": 0, "param": 1, "greedy": 2}[kind] for kind, _ in self.segments)
        return (ranks, self.route.method == "ANY")


def _compile(route: Route) -> _CompiledRoute:
    segments: list[tuple[str, str]] = []
    for part in (route.path or "").strip("/").split("/"):
        match = re.fullmatch(r"\{(\w+)(\+?)\}", part)
        if match:
            segments.append(("greedy" if match.group(2) else "param", match.group(1)))
        else:
            segments.append(("literal", part))
    return _CompiledRoute(route, segments)


class Router:
    def __init__(self, api: HttpApi | None) -> None:
        routes = api.routes if api else []
        self.default = next((r for r in routes if r.path is None), None)
        self.compiled = [_compile(r) for r in routes if r.path is not None]

    def match(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        """Match on the raw path split at "/", each segment decoded (so %2F stays inside a parameter)."""
        segments = [unquote(segment) for segment in raw_path.strip("/").split("/")]
        candidates = []
        for compiled in self.compiled:
            if compiled.route.method not in (method, "ANY"):
                continue
            params = compiled.match(segments)
            if params is not None:
                candidates.append((compiled.priority(), compiled.route, params))
        if candidates:
            _, route, params = min(candidates, key=lambda c: c[0])
            return route, params
        if self.default:
            return self.default, {}
        return None


# --- CORS ------------------------------------------------------------------------------------------------
class CorsPolicy:
    def __init__(self, api: HttpApi | None) -> None:
        self.cors = api.cors if api else None

    def allowed_origin(self, origin: str | None) -> str | None:
        if not self.cors or not origin:
            return None
        for allowed in self.cors.allow_origins:
            if allowed == "*":
                return "*" if not self.cors.allow_credentials else origin
            if allowed.lower() == origin.lower() or (
                "*" in allowed and fnmatch.fnmatch(origin.lower(), allowed.lower())
            ):
                return origin
        return None

    def is_preflight(self, request: HttpRequest) -> bool:
        return (
            bool(self.cors)
            and request.method == "OPTIONS"
            and bool(request.header("origin"))
            and bool(request.header("access-control-request-method"))
        )

    def preflight(self, request: HttpRequest) -> HttpResponse:
        """API Gateway answers CORS preflights itself when CorsConfiguration is set."""
        assert self.cors
        response = HttpResponse(204)
        origin = self.allowed_origin(request.header("origin"))
        if origin is None:
            return response
        methods = self.cors.allow_methods or []
        requested = (request.header("access-control-request-method") or "").upper()
        if "*" not in methods and requested not in [m.upper() for m in methods]:
            return response
        response.set_header("Access-Control-Allow-Origin", origin)
        response.set_header(
            "Access-Control-Allow-Methods", ",".join(methods) if "*" not in methods else requested
        )
        allow_headers = self.cors.allow_headers
        if "*" in allow_headers:
            requested_headers = request.header("access-control-request-headers")
            if requested_headers:
                response.set_header("Access-Control-Allow-Headers", requested_headers)
        elif allow_headers:
            response.set_header("Access-Control-Allow-Headers", ",".join(h.lower() for h in allow_headers))
        if self.cors.max_age is not None:
            response.set_header("Access-Control-Max-Age", str(self.cors.max_age))
        if self.cors.allow_credentials:
            response.set_header("Access-Control-Allow-Credentials", "true")
        return response

    def decorate(self, request: HttpRequest, response: HttpResponse) -> None:
        """CORS headers on an actual response (they override any the function set, as on AWS)."""
        origin = self.allowed_origin(request.header("origin"))
        if origin is None or not self.cors:
            return
        response.set_header("Access-Control-Allow-Origin", origin)
        if self.cors.expose_headers:
            response.set_header(
                "Access-Control-Expose-Headers", ",".join(h.lower() for h in self.cors.expose_headers)
            )
        if self.cors.allow_credentials:
            response.set_header("Access-Control-Allow-Credentials", "true")
        if origin != "*":
            response.set_header("Vary", "Origin")


# --- the gateway -----------------------------------------------------------------------------------------
def _request_id() -> str:
    return base64.b64encode(secrets.token_bytes(12)).decode().rstrip("=")[:15] + "="


def is_text(content_type: str | None) -> bool:
    return bool(content_type) and bool(_TEXT_TYPES.match(content_type.split(";")[0].strip()))


class HttpGateway:
    """Turns HTTP requests into payload-2.0 events for the template's functions, and their results back."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.api: HttpApi | None = runtime.model.apis[0] if runtime.model.apis else None
        self.router = Router(self.api)
        self.cors = CorsPolicy(self.api)
        from local.restapi import RestApis

        self.rest = RestApis(self, getattr(runtime.model, "rest_apis", []))
        self._auth_cache: dict[tuple[str, tuple[str, ...]], tuple[float, bool, dict[str, Any]]] = {}
        self._auth_lock = threading.Lock()

    @property
    def stage(self) -> str:
        return self.api.stage if self.api else "$default"

    @property
    def api_id(self) -> str:
        return self.api.api_id if self.api else "local"

    def handle(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/_local/"):
            return self.runtime.admin.dispatch(request)
        request_id = _request_id()
        rest_response = self.rest.handle(request, request_id)  # REST APIs, under their stage
        if rest_response is not None:
            response = rest_response
        elif self.cors.is_preflight(request):
            response = self.cors.preflight(request)
        else:
            response = self._route(request, request_id)
            self.cors.decorate(request, response)
        response.set_header("Apigw-Requestid", request_id)
        elapsed_ms = (time.time() - request.received_at) * 1000
        log.info("%s %s -> %d (%.1f ms)", request.method, request.raw_path, response.status, elapsed_ms)
        return response

    def _route(self, request: HttpRequest, request_id: str) -> HttpResponse:
        matched = self.router.match(request.method, request.raw_path)
        if matched is None:
            return gateway_message(404, "Not Found")
        route, path_params = matched
        event = self.build_event(request, route, path_params, request_id)
        if route.authorizer:
            denial = self._authorize(request, route, event)
            if denial is not None:
                return denial
        if route.payload_version == "1.0":
            from local.restapi import to_http_v1, v1_event

            assert self.api is not None
            authorizer = event["requestContext"].get("authorizer")
            account = self.runtime.model.resolver.account
            event = v1_event(request, self.api, route, path_params, request_id, account, request.raw_path)
            if authorizer is not None:
                event["requestContext"]["authorizer"] = authorizer
        result = self.runtime.functions.invoke(route.function, event)
        if result.error:
            return gateway_message(500, "Internal Server Error")
        try:
            if route.payload_version == "1.0":
                return to_http_v1(result.payload, self.api, None)
            return self.to_http(result.payload)
        except (TypeError, ValueError, KeyError) as exc:
            log.warning("%s returned a response API Gateway cannot map: %s", route.function, exc)
            return gateway_message(500, "Internal Server Error")

    # --- events ------------------------------------------------------------------------------------------
    def build_event(
        self, request: HttpRequest, route: Route, path_params: dict[str, str], request_id: str
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in request.headers:
            key = name.lower()
            if key == "cookie":
                cookies.extend(part.strip() for part in value.split(";") if part.strip())
                continue
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        query: dict[str, str] = {}
        for key, value in parse_qsl(request.raw_query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        now = request.received_at
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": request.raw_path,
            "rawQueryString": request.raw_query,
        }
        if cookies:
            event["cookies"] = cookies
        event["headers"] = headers
        if query:
            event["queryStringParameters"] = query
        event["requestContext"] = {
            "accountId": self.runtime.model.resolver.account,
            "apiId": self.api_id,
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": headers.get("host", "127.0.0.1").split(".")[0].split(":")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route.route_key,
            "stage": self.stage,
            "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        }
        if path_params:
            event["pathParameters"] = dict(path_params)
        if request.body:
            if is_text(headers.get("content-type")):
                try:
                    event["body"] = request.body.decode("utf-8")
                    event["isBase64Encoded"] = False
                except UnicodeDecodeError:
                    event["body"] = base64.b64encode(request.body).decode()
                    event["isBase64Encoded"] = True
            else:
                event["body"] = base64.b64encode(request.body).decode()
                event["isBase64Encoded"] = True
        else:
            event["isBase64Encoded"] = False
        return event

    def route_arn(self, request: HttpRequest, route: Route) -> str:
        resource = "$default" if route.path is None else f"{request.method}{request.path}"
        return self.runtime.model.resolver.arn("execute-api", f"{self.api_id}/{self.stage}/{resource}")

    # --- authorizer --------------------------------------------------------------------------------------
    def _authorize(self, request: HttpRequest, route: Route, event: dict[str, Any]) -> HttpResponse | None:
        """None if the call may proceed (event gains requestContext.authorizer), else the gateway's answer."""
        assert self.api and route.authorizer
        authorizer = self.api.authorizers[route.authorizer]
        identity: list[str] = []
        for name in authorizer.identity_headers:
            value = event["headers"].get(name.lower())
            if not value:
                return gateway_message(401, "Unauthorized")
            identity.append(value)
        for name in authorizer.identity_query:
            value = (event.get("queryStringParameters") or {}).get(name)
            if not value:
                return gateway_message(401, "Unauthorized")
            identity.append(value)
        key = (authorizer.name, tuple(identity))
        now = time.monotonic()
        with self._auth_lock:
            cached = self._auth_cache.get(key)
        if cached and cached[0] > now:
            _, allowed, context = cached
        else:
            auth_event = {
                "version": "2.0",
                "type": "REQUEST",
                "routeArn": self.route_arn(request, route),
                "identitySource": identity,
                **{k: v for k, v in event.items() if k not in ("version", "body", "isBase64Encoded")},
            }
            result = self.runtime.functions.invoke(authorizer.function, auth_event)
            if result.error:
                return gateway_message(500, "Internal Server Error")
            try:
                allowed, context = self._authorizer_verdict(
                    authorizer.simple_responses, result.payload, auth_event["routeArn"]
                )
            except (TypeError, ValueError, KeyError, AttributeError):
                log.warning(
                    "authorizer %s returned an invalid response: %r", authorizer.function, result.payload
                )
                return gateway_message(500, "Internal Server Error")
            if authorizer.ttl_seconds > 0:
                with self._auth_lock:
                    self._auth_cache[key] = (now + authorizer.ttl_seconds, allowed, context)
        if not allowed:
            return gateway_message(403, "Forbidden")
        event["requestContext"]["authorizer"] = {"lambda": context}
        return None

    @staticmethod
    def _authorizer_verdict(simple: bool, payload: Any, route_arn: str) -> tuple[bool, dict[str, Any]]:
        if simple and "isAuthorized" in payload:
            if not isinstance(payload["isAuthorized"], bool):
                raise ValueError("isAuthorized must be a boolean")
            return payload["isAuthorized"], dict(payload.get("context") or {})
        # IAM policy response: allowed when an Allow statement covers the route and no Deny does.
        statements = payload["policyDocument"]["Statement"]
        statements = statements if isinstance(statements, list) else [statements]

        def covers(statement: dict[str, Any]) -> bool:
            resources = statement.get("Resource", [])
            resources = resources if isinstance(resources, list) else [resources]
            return any(fnmatch.fnmatchcase(route_arn, r) for r in resources)

        denied = any(s.get("Effect") == "Deny" and covers(s) for s in statements)
        allowed = any(s.get("Effect") == "Allow" and covers(s) for s in statements)
        return allowed and not denied, dict(payload.get("context") or {})

    # --- responses ---------------------------------------------------------------------------------------
    @staticmethod
    def to_http(payload: Any) -> HttpResponse:
        """API Gateway's payload 2.0 response mapping (including its inference for non-response values)."""
        if isinstance(payload, dict) and "statusCode" in payload:
            status = payload["statusCode"]
            if isinstance(status, bool) or not isinstance(status, int | str) or not 100 <= int(status) <= 599:
                raise ValueError(f"bad statusCode {status!r}")
            response = HttpResponse(int(status))
            for name, value in (payload.get("headers") or {}).items():
                response.headers.append((str(name), str(value)))
            for name, values in (payload.get("multiValueHeaders") or {}).items():
                for value in values if isinstance(values, list) else [values]:
                    response.headers.append((str(name), str(value)))
            for cookie in payload.get("cookies") or []:
                response.headers.append(("Set-Cookie", str(cookie)))
            body = payload.get("body")
            if body is None:
                response.body = b""
            elif payload.get("isBase64Encoded"):
                response.body = base64.b64decode(body)
            else:
                response.body = (body if isinstance(body, str) else json.dumps(body)).encode()
            return response
        body = payload if isinstance(payload, str) else json.dumps(payload)
        return HttpResponse(200, [("Content-Type", "application/json")], body.encode())


# --- the server ------------------------------------------------------------------------------------------
class RequestHandler(Protocol):
    """What the shared HTTP server serves: the HTTP API gateway, or the WebSocket gateway (which also takes
    over `Upgrade: websocket` connections through `upgrade`)."""

    def handle(self, request: HttpRequest) -> HttpResponse: ...


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pitchey-local"
    gateway: RequestHandler  # set on the subclass the server builds

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            return None
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        upgrade = getattr(self.gateway, "upgrade", None)
        if isinstance(self.connection, ssl.SSLSocket) and "websocket" in (self.headers.get("Upgrade") or ""):
            self.close_connection = True  # TLS here is for @connections (local/localtls.py), not wss://
            self._send(gateway_message(400, "wss:// is not served locally: connect with ws://"))
            return
        if upgrade is not None and "websocket" in (self.headers.get("Upgrade") or "").lower():
            # The socket leaves this server (detached, so closing the handler neither shuts it down nor
            # closes it) with the head already read; nothing else has been read (the client waits for 101).
            self.close_connection = True
            head = "\r\n".join([self.requestline, *(f"{k}: {v}" for k, v in self.headers.items())])
            upgrade(self.connection.detach(), (head + "\r\n\r\n").encode("latin-1"))
            return
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._send(gateway_message(413, "Request Entity Too Large"))
            return
        raw_path, _, raw_query = self.path.partition("?")
        request = HttpRequest(
            method=self.command.upper(),
            raw_path=raw_path or "/",
            raw_query=raw_query,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        try:
            response = self.gateway.handle(request)
        except Exception:
            log.exception("gateway error on %s %s", self.command, self.path)
            response = gateway_message(500, "Internal Server Error")
        self._send(response, head=self.command == "HEAD")

    def _send(self, response: HttpResponse, head: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if not head:
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # SO_REUSEADDR (HTTPServer's default, relied on): a restart binds at once
    request_queue_size = 128
    tls: ssl.SSLContext | None = None  # also serve TLS on this port (see local/localtls.py)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        # Plain HTTP and TLS on one port: a TLS connection starts with a handshake record (0x16).
        try:
            request.settimeout(10)
            if request.recv(1, socket.MSG_PEEK) != b"\x16":
                request.settimeout(None)
                super().finish_request(request, client_address)
                return
            secure = self.tls.wrap_socket(request, server_side=True)  # detaches `request`
        except (OSError, ssl.SSLError) as error:
            log.debug("TLS handshake from %s failed: %s", client_address, error)
            return
        try:
            secure.settimeout(None)
            super().finish_request(secure, client_address)
        finally:
            with contextlib.suppress(OSError):
                secure.close()


class HttpServerComponent:
    name = "http"

    def __init__(
        self, gateway: RequestHandler, host: str, port: int, tls: ssl.SSLContext | None = None
    ) -> None:
        handler = type("GatewayHandler", (_Handler,), {"gateway": gateway})
        self.server = _Server((host, port), handler)
        self.server.tls = tls
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.server.serve_forever, name="http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def health(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
