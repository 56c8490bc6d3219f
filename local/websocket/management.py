"""The `@connections` management API (PostToConnection, GetConnection, DeleteConnection) as an HTTP handler
for the runtime's shared HTTP server (local/httpapi.py). Paths with or without the `/<stage>` prefix, so
boto3's `apigatewaymanagementapi` client works with `endpoint_url` = the local form of
`https://{api}.execute-api.{region}.amazonaws.com/{stage}`; errors carry `x-amzn-ErrorType` as botocore
expects (410 `GoneException`, 413 `PayloadTooLargeException`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from local.httpapi import HttpRequest, HttpResponse, json_response
from local.websocket.connections import ConnectionRegistry

_PATH = re.compile(r"(?:/[^/@]+)?/@connections/([^/]+)/?")
# Runs a coroutine on the gateway's event loop and returns its result.
RunOnLoop = Callable[[Coroutine[Any, Any, Any]], Any]


def is_management_path(path: str) -> bool:
    return "/@connections" in path


def _answer(status: int, payload: Any = None, error_type: str | None = None) -> HttpResponse:
    response = json_response(status, payload) if payload is not None else HttpResponse(status)
    response.set_header("x-amzn-RequestId", str(uuid.uuid4()))
    if error_type:
        response.set_header("x-amzn-ErrorType", error_type)
    return response


def _gone() -> HttpResponse:
    return _answer(410, {"message": None}, "GoneException")


class ConnectionsApi:
    def __init__(self, registry: ConnectionRegistry, run: RunOnLoop) -> None:
        self.registry = registry
        self.run = run

    def handle(self, request: HttpRequest) -> HttpResponse:
        match = _PATH.fullmatch(request.path)
        if match is None:
            return _answer(404, {"message": "Not Found"}, "NotFoundException")
        connection_id = match.group(1)
        if request.method == "POST":
            status = self.run(self.registry.post(connection_id, request.body))
            if status == 413:
                return _answer(413, {"message": "Message too long"}, "PayloadTooLargeException")
            return _answer(200) if status == 200 else _gone()
        if request.method == "GET":
            description = self.run(self.registry.describe(connection_id))
            return _gone() if description is None else _answer(200, description)
        if request.method == "DELETE":
            return _answer(204) if self.run(self.registry.delete(connection_id)) else _gone()
        return _answer(405, {"message": "Method Not Allowed"}, "MethodNotAllowedException")
