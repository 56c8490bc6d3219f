"""Payload format 1.0: REST API (`AWS::Serverless::Api`, `Type: Api`) requests and HttpApi routes with
`PayloadFormatVersion: "1.0"`, their events and the mapping of the function's answer back to HTTP.

A REST API is reached under its stage, as its execute-api URL has it: `GET /Prod/items/7` is the `/items/{id}`
resource of the API whose StageName is Prod; the event's `path` is `/items/7` and `requestContext.path`
`/Prod/items/7` (what API Gateway sends for its default endpoint). No match answers REST's
`403 {"message":"Missing Authentication Token"}`; a function error, timeout or a result without a valid
`statusCode` answers `502 {"message": "Internal server error"}`.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from local.model import HttpApi, Route

log = logging.getLogger("pitchey-local")


def _request_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def is_binary(api: HttpApi, content_type: str | None) -> bool:
    """REST APIs pass a body as base64 only when its Content-Type is one of the API's BinaryMediaTypes."""
    kind = (content_type or "").split(";")[0].strip().lower()
    return bool(kind) and any(fnmatch.fnmatch(kind, pattern.lower()) for pattern in api.binary_media_types)


def v1_event(
    request: Any,
    api: HttpApi,
    route: Route,
    path_params: dict[str, str],
    request_id: str,
    account: str,
    resource_path: str,
) -> dict[str, Any]:
    """The 1.0 event. `resource_path`: the request path below the stage (REST) or the raw path (HttpApi)."""
    rest = api.kind == "rest"
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        key = name if rest else name.lower()  # REST keeps the client's case; HTTP APIs lowercase
        multi_headers.setdefault(key, []).append(value)
        # Duplicates: REST keeps the last value, HTTP APIs join them with commas.
        headers[key] = value if rest or key not in headers else f"{headers[key]},{value}"
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for key, value in parse_qsl(request.raw_query, keep_blank_values=True):
        multi_query.setdefault(key, []).append(value)
        query[key] = value if rest or key not in query else f"{query[key]},{value}"
    host = next((v for k, v in request.headers if k.lower() == "host"), "127.0.0.1")
    now = request.received_at
    full_path = unquote(request.raw_path)
    context: dict[str, Any] = {
        "accountId": account,
        "apiId": api.api_id,
        "domainName": host,
        "domainPrefix": host.split(".")[0].split(":")[0],
        "extendedRequestId": request_id,
        "httpMethod": request.method,
        "identity": {
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": request.source_ip,
            "user": None,
            "userAgent": headers.get("User-Agent" if rest else "user-agent")
            or next((v for k, v in request.headers if k.lower() == "user-agent"), ""),
            "userArn": None,
            "clientCert": None,
        },
        "path": full_path,
        "protocol": request.protocol,
        "requestId": request_id,
        "requestTime": _request_time(now),
        "requestTimeEpoch": int(now * 1000),
        "resourceId": route.event_name if rest else None,
        "resourcePath": route.path if route.path is not None else "$default",
        "stage": api.stage,
    }
    event: dict[str, Any] = {} if rest else {"version": "1.0"}
    event.update(
        {
            "resource": route.path if route.path is not None else "$default",
            "path": unquote(resource_path) or "/",
            "httpMethod": request.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "requestContext": context,
            "pathParameters": dict(path_params) or None,
            "stageVariables": dict(api.stage_variables) or None,
            "body": None,
            "isBase64Encoded": False,
        }
    )
    if request.body:
        content_type = next((v for k, v in request.headers if k.lower() == "content-type"), None)
        if rest:
            binary = is_binary(api, content_type)
        else:
            from local.httpapi import is_text

            binary = not is_text(content_type)
        if not binary:
            try:
                event["body"] = request.body.decode("utf-8")
            except UnicodeDecodeError:
                binary = not rest  # REST without a binary media type mangles it, as API Gateway does
                event["body"] = request.body.decode("utf-8", "replace")
        if binary:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    return event


def to_http_v1(payload: Any, api: HttpApi, accept: str | None) -> Any:
    """Map a 1.0 proxy response (statusCode, headers, multiValueHeaders, body, isBase64Encoded). Raises
    ValueError for anything else: API Gateway answers those with its own error."""
    from local.httpapi import HttpResponse

    if not isinstance(payload, dict) or "statusCode" not in payload:
        raise ValueError("a 1.0 proxy response needs a statusCode")
    status = payload["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int | str) or not 100 <= int(status) <= 599:
        raise ValueError(f"bad statusCode {status!r}")
    response = HttpResponse(int(status))
    multi = payload.get("multiValueHeaders") or {}
    for name, value in (payload.get("headers") or {}).items():
        if name not in multi:
            response.headers.append((str(name), str(value)))
    for name, values in multi.items():
        for value in values if isinstance(values, list) else [values]:
            response.headers.append((str(name), str(value)))
    body = payload.get("body")
    if body is None:
        return response
    text = body if isinstance(body, str) else json.dumps(body)
    decode = bool(payload.get("isBase64Encoded"))
    if decode and api.kind == "rest":
        # REST converts a base64 body back to binary only when the client accepts a binary media type or
        # the response's Content-Type is one; otherwise the client gets the base64 text.
        content_type = response.header("content-type")
        decode = any(is_binary(api, kind) for kind in [content_type, *(accept or "").split(",")] if kind)
    response.body = base64.b64decode(text) if decode else text.encode()
    return response


class RestApis:
    """The template's REST APIs, each served under `/<StageName>` of the HTTP port."""

    def __init__(self, gateway: Any, apis: list[HttpApi]) -> None:
        from local.httpapi import Router

        self.gateway = gateway
        self.by_stage = {api.stage: (api, Router(api)) for api in apis}

    def handle(self, request: Any, request_id: str) -> Any | None:
        """The answer if the request's first path segment is a REST API's stage, else None. A path that no
        resource of that REST API matches but an HTTP API route does goes to the HTTP API."""
        from local.httpapi import gateway_message

        stage, _, rest = request.raw_path.lstrip("/").partition("/")
        served = self.by_stage.get(unquote(stage))
        if served is None:
            return None
        api, router = served
        resource_path = f"/{rest}"
        if request.method == "OPTIONS" and api.rest_cors is not None:
            preflight = self._preflight(api, router, resource_path)
            if preflight is not None:
                return preflight
        matched = router.match(request.method, resource_path)
        if matched is None:
            if self.gateway.router.match(request.method, request.raw_path) is not None:
                return None  # on AWS another host; locally the HTTP API's route whose path starts alike
            return gateway_message(403, "Missing Authentication Token")
        route, path_params = matched
        runtime = self.gateway.runtime
        event = v1_event(
            request, api, route, path_params, request_id, runtime.model.resolver.account, resource_path
        )
        result = runtime.functions.invoke(route.function, event)
        if result.error:
            return gateway_message(502, "Internal server error")
        try:
            return to_http_v1(result.payload, api, request.header("accept"))
        except (TypeError, ValueError, KeyError) as exc:
            log.warning("%s returned a response API Gateway cannot map: %s", route.function, exc)
            return gateway_message(502, "Internal server error")

    @staticmethod
    def _preflight(api: HttpApi, router: Any, resource_path: str) -> Any | None:
        """SAM's `Cors` adds an OPTIONS method (a mock integration) to every path that has none: it answers
        200 with the configured headers, whatever the request carries. The function's own responses get
        no CORS headers from it (a proxy function must set them, as on AWS)."""
        from local.httpapi import HttpResponse

        own = router.match("OPTIONS", resource_path)
        if own is not None and own[0].method == "OPTIONS":
            return None  # the template's own OPTIONS method
        methods = sorted(
            {m for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD") if router.match(m, resource_path)}
        )
        if not methods:
            return None  # no such resource: REST's 403
        cors = api.rest_cors
        assert cors is not None
        response = HttpResponse(200, [("Content-Type", "application/json")])
        response.set_header("Access-Control-Allow-Origin", cors.get("AllowOrigin", "*"))
        response.set_header(
            "Access-Control-Allow-Methods", cors.get("AllowMethods") or ",".join([*methods, "OPTIONS"])
        )
        for key, header in (
            ("AllowHeaders", "Access-Control-Allow-Headers"),
            ("MaxAge", "Access-Control-Max-Age"),
        ):
            if cors.get(key):
                response.set_header(header, cors[key])
        if cors.get("AllowCredentials") == "true":
            response.set_header("Access-Control-Allow-Credentials", "true")
        return response
