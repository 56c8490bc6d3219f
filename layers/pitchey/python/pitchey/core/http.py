"""The HTTP conventions every endpoint follows, in one decorator.

    @api()
    def handler(request: Request) -> Response:
        return ok({"status": "ok"})

`api` turns an API Gateway HTTP API (payload 2.0) event into a `Request`, runs its guard (pitchey.auth.http
authenticates the caller and checks the role there: handlers use that `api`), runs the endpoint and
answers in API.md's envelope. Client mistakes become 4xx envelopes; anything unexpected is logged and
answered with a 500 envelope carrying only the request id. Core knows no context: `request.user` is
whatever the guard set.

Every answer carries SECURITY_HEADERS and `Cache-Control: no-store`, except a success that asked for
shared caching (`Response.public_max_age`, e.g. the price list) answered to a caller without credentials.
API Gateway (HTTP API) adds none of these itself, so the function sets them (docs/decisions.md).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pitchey.core import clock, coldstart, jsonbody
from pitchey.core.caller import Caller, Client
from pitchey.core.config import table_name
from pitchey.core.db import Page, PageRequest
from pitchey.core.errors import (
    AppError,
    BadRequest,
    Conflict,
    PayloadTooLarge,
    Unauthorized,
    ValidationFailed,
)
from pitchey.core.log import logger

if TYPE_CHECKING:  # pydantic loads with the first body parsed (Request.parse), not with every handler
    from pydantic import BaseModel

MAX_BODY_BYTES = 1024 * 1024
DEFAULT_PAGE_LIMIT = 20
MAX_PAGE_LIMIT = 100
M = TypeVar("M", bound="BaseModel")

# JSON answers are never rendered as a page: no framing, no sniffing, no referrer, nothing loadable from
# them (CSP default-src 'none'). A response's own headers override these (an HTML page sets its CSP).
SECURITY_HEADERS: dict[str, str] = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
NO_STORE = "no-store"


@dataclass
class Response:
    status: int
    data: Any = None
    metadata: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds a shared cache may keep this answer; only honoured for callers without credentials (an
    # answer that depends on who asks is never stored). None: no-store.
    public_max_age: int | None = None
    # A body sent as is instead of the envelope (the OpenAPI document, the explorer's files); bytes are
    # sent base64-encoded.
    raw: str | bytes | None = None
    content_type: str = "application/json"


def ok(data: Any, metadata: dict[str, Any] | None = None, *, public_max_age: int | None = None) -> Response:
    return Response(200, data, metadata, public_max_age=public_max_age)


def content(
    body: str | bytes,
    content_type: str,
    *,
    public_max_age: int | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A 200 whose body is `body` itself, not an envelope (a document or a static file)."""
    return Response(
        200, public_max_age=public_max_age, raw=body, content_type=content_type, headers=headers or {}
    )


def created(data: Any) -> Response:
    return Response(201, data)


def accepted(data: Any) -> Response:
    return Response(202, data)


def page_metadata(
    limit: int, next_cursor: str | None, page: int = 1, total: int | None = None
) -> dict[str, Any]:
    return {"page": page, "limit": limit, "total": total, "nextCursor": next_cursor}


def ok_page(page: Page[Any], render: Callable[[Any], Any] | None = None) -> Response:
    """A list function's Page as API.md's list answer: the items (rendered) and the paging metadata."""
    items = [render(item) for item in page.items] if render else page.items
    return ok(items, page_metadata(page.limit, page.next_cursor, page=page.number))


class Request:
    def __init__(self, event: dict[str, Any], context: Any) -> None:
        self.event = event
        self.context = context
        self.headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        self.query = event.get("queryStringParameters") or {}
        self.path_params = event.get("pathParameters") or {}
        request_context = event.get("requestContext") or {}
        http = request_context.get("http") or {}
        self.method: str = http.get("method", "GET")
        self.path: str = http.get("path") or event.get("rawPath", "/")
        self.route_key: str = event.get("routeKey") or request_context.get("routeKey") or ""
        self.source_ip: str = http.get("sourceIp") or "0.0.0.0"  # noqa: S104 (a value, not a bind)
        self.user_agent: str = http.get("userAgent") or self.headers.get("user-agent", "")
        self.request_id: str = request_context.get("requestId") or getattr(context, "aws_request_id", "")
        self.authorizer: dict[str, Any] = (request_context.get("authorizer") or {}).get("lambda") or {}
        self.user: Any = None  # the caller, once a guard has authenticated one (pitchey.auth: AuthUser)
        self._body: bytes | None = None

    # --- body -----------------------------------------------------------------------------------
    def body_bytes(self) -> bytes:
        if self._body is None:
            raw = self.event.get("body") or ""
            if self.event.get("isBase64Encoded"):
                try:
                    self._body = base64.b64decode(raw)
                except ValueError:
                    raise BadRequest("Body is not valid base64") from None
            else:
                self._body = raw.encode() if isinstance(raw, str) else bytes(raw)
        return self._body

    def json(self) -> Any:
        """The JSON body; an empty body is `{}` so parameterless actions accept both."""
        raw = self.body_bytes()
        if not raw.strip():
            return {}
        try:
            return jsonbody.loads(raw)
        except jsonbody.TooDeep:
            raise BadRequest(f"Body nests deeper than {jsonbody.MAX_DEPTH} levels") from None
        except ValueError:  # UnicodeDecodeError included
            raise BadRequest("Body is not valid JSON") from None

    def parse(self, model: type[M]) -> M:
        from pitchey.core.schemas import parse_input

        return parse_input(model, self.json())

    # --- parameters -------------------------------------------------------------------------------
    def path_param(self, name: str) -> str:
        value = self.path_params.get(name)
        if not value:
            raise BadRequest(f"Missing path parameter {name}")
        return value

    def query_param(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, default)

    def bool_param(self, name: str) -> bool | None:
        value = self.query.get(name)
        if value is None or value == "":
            return None
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise BadRequest(f"Query parameter {name} must be true or false")

    def choice_param(self, name: str, choices: Iterable[str], default: str | None = None) -> str | None:
        value = self.query.get(name) or default
        allowed = tuple(choices)
        if value is not None and value not in allowed:
            raise BadRequest(f"Query parameter {name} must be one of: {', '.join(allowed)}")
        return value

    def page(self) -> PageRequest:
        raw = self.query.get("limit")
        if raw is None or raw == "":
            limit = DEFAULT_PAGE_LIMIT
        else:
            try:
                limit = int(raw)
            except ValueError:
                raise BadRequest("limit must be an integer between 1 and 100") from None
            if not 1 <= limit <= MAX_PAGE_LIMIT:
                raise BadRequest("limit must be an integer between 1 and 100")
        return PageRequest(limit=limit, cursor=self.query.get("cursor") or None)

    def require_user(self) -> Any:
        if self.user is None:
            raise Unauthorized("Authentication required")
        return self.user

    def caller(self) -> Caller:
        """The authenticated user and where the request came from, for services (which take no Request)."""
        user = self.require_user()
        return Caller(id=user.id, role=user.role, ip=self.source_ip, user_agent=self.user_agent)

    def client(self) -> Client:
        return Client(self.source_ip, self.user_agent or None)

    @property
    def anonymous(self) -> bool:
        """No caller and no credentials sent (a token or cookie makes an answer personal)."""
        return (
            self.user is None
            and not self.authorizer
            and not (self.headers.get("authorization") or self.event.get("cookies"))
        )


# --- responses ----------------------------------------------------------------------------------------
def _json_response(
    status: int, payload: dict[str, Any], request_id: str, headers: dict[str, str], cache: str = NO_STORE
) -> dict:
    body = json.dumps(payload, separators=(",", ":"), default=str)
    return _response(status, body, "application/json", request_id, headers, cache)


def _response(
    status: int, body: str | bytes, content_type: str, request_id: str, headers: dict[str, str], cache: str
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "statusCode": status,
        "headers": {
            "Content-Type": content_type,
            "X-Request-Id": request_id,
            **SECURITY_HEADERS,
            "Cache-Control": cache,
            **headers,
        },
        "body": body,
    }
    if isinstance(body, bytes):
        result["body"] = base64.b64encode(body).decode()
        result["isBase64Encoded"] = True
    return result


def success_response(response: Response, request_id: str, *, shared_cache: bool = False) -> dict[str, Any]:
    """shared_cache: the caller sent no credentials, so a `public_max_age` answer may be cached."""
    cache = NO_STORE
    if shared_cache and response.public_max_age is not None:
        cache = f"public, max-age={response.public_max_age}"
    if response.raw is not None:
        return _response(
            response.status, response.raw, response.content_type, request_id, response.headers, cache
        )
    payload: dict[str, Any] = {"success": True, "data": response.data, "timestamp": clock.iso()}
    if response.metadata is not None:
        payload["metadata"] = response.metadata
    return _json_response(response.status, payload, request_id, response.headers, cache)


def error_response(error: AppError, request_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.details:
        body["details"] = error.details
    payload = {"success": False, "error": body, "timestamp": clock.iso()}
    return _json_response(error.status, payload, request_id, error.headers)


def internal_error_response(request_id: str) -> dict[str, Any]:
    error = AppError(f"Internal error; quote request id {request_id or 'unknown'} when reporting it")
    return error_response(error, request_id)


# --- the decorator ------------------------------------------------------------------------------------
Handler = Callable[[Request], Response]
Guard = Callable[[Request], None]


def api(
    *, guard: Guard | None = None, idempotent: bool = False
) -> Callable[[Handler], Callable[[dict[str, Any], Any], dict[str, Any]]]:
    """guard: runs before the endpoint and may refuse the request by raising an AppError (pitchey.auth.http
    resolves and checks the caller there). idempotent: honour an Idempotency-Key header (replay the first
    response for the same key and body)."""

    def decorate(endpoint: Handler) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        coldstart.end_init()

        @functools.wraps(endpoint)
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            request = Request(event, context)
            logger.set_correlation_id(request.request_id)
            logger.append_keys(route=request.route_key or f"{request.method} {request.path}")
            try:
                if len(request.body_bytes()) > MAX_BODY_BYTES:
                    raise PayloadTooLarge("Request body is larger than 1 MiB")
                if guard is not None:
                    guard(request)
                key = request.headers.get("idempotency-key") if idempotent else None
                if key:
                    return _run_idempotent(endpoint, request, key, context)
                return success_response(endpoint(request), request.request_id, shared_cache=request.anonymous)
            except AppError as error:
                if error.status >= 500:
                    logger.error("application error", extra={"code": error.code})
                return error_response(error, request.request_id)
            except Exception:
                logger.exception("unhandled error")
                return internal_error_response(request.request_id)

        return handler

    return decorate


def _run_idempotent(endpoint: Handler, request: Request, key: str, context: Any) -> dict[str, Any]:
    """Replays the first successful response for (user, method and concrete path, key): the same key on
    another resource (POST /api/pitches/A/media, then …/B/media) is a new request, never A's replay. A
    different body with the same key is a 422, a retry while the first is still running a 409. Errors are
    not stored, so a fixed retry can pass.
    Powertools' idempotency utility is imported here, only when a client sends a key (it is heavy)."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    if len(key) > 200:
        raise BadRequest("Idempotency-Key must be at most 200 characters")
    config = IdempotencyConfig(
        event_key_jmespath="[user, route, key]",
        payload_validation_jmespath="bodyHash",
        expires_after_seconds=24 * 3600,
    )
    config.register_lambda_context(context)
    persistence = DynamoDBPersistenceLayer(table_name=table_name("IDEMPOTENCY_TABLE", "IdempotencyTable"))

    @idempotent_function(data_keyword_argument="call", config=config, persistence_store=persistence)
    def run(call: dict[str, Any]) -> dict[str, Any]:
        return success_response(endpoint(request), request.request_id)

    call = {
        "user": request.user.id if request.user else request.source_ip,
        "route": f"{request.method} {request.path}",  # the concrete path: path parameters included
        "key": key,
        "bodyHash": hashlib.sha256(request.body_bytes()).hexdigest(),
    }
    try:
        return run(call=call)
    except IdempotencyValidationError:
        raise ValidationFailed(
            "Idempotency-Key was already used with a different body", code="IDEMPOTENCY_KEY_REUSED"
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(
            "A request with this Idempotency-Key is still in progress", code="REQUEST_IN_PROGRESS"
        ) from None
