"""API Gateway HTTP API (payload 2.0) events for calling handlers directly, and reading their answers."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any


def http_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    path_params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    token: str | None = None,
    authorizer: dict[str, Any] | None = None,
    source_ip: str = "198.51.100.7",
    route_key: str | None = None,
) -> dict[str, Any]:
    all_headers = {"content-type": "application/json", "user-agent": "pytest"}
    if token:
        all_headers["authorization"] = f"Bearer {token}"
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    request_id = str(uuid.uuid4())
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key or f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": all_headers,
        "queryStringParameters": query or None,
        "pathParameters": path_params or None,
        "requestContext": {
            "requestId": request_id,
            "http": {
                "method": method,
                "path": path,
                "sourceIp": source_ip,
                "userAgent": all_headers["user-agent"],
            },
        },
        "isBase64Encoded": False,
    }
    if raw_body is not None:
        event["body"] = raw_body
    elif body is not None:
        event["body"] = json.dumps(body)
    if authorizer is not None:
        event["requestContext"]["authorizer"] = {"lambda": authorizer}
    return event


def lambda_context() -> SimpleNamespace:
    return SimpleNamespace(
        function_name="test",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:test",
        aws_request_id=str(uuid.uuid4()),
        get_remaining_time_in_millis=lambda: 10_000,
    )


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def code(self) -> str | None:
        return (self.body.get("error") or {}).get("code")


def call(handler: Any, event: dict[str, Any]) -> Answer:
    """Every handler call in the unit tests is also a guard: no request path may Scan."""
    from tests.roundtrips import dynamodb_calls

    with dynamodb_calls() as calls:
        result = handler(event, lambda_context())
    assert "Scan" not in calls, f"{event.get('routeKey')} made a DynamoDB Scan: {calls}"
    headers = result.get("headers", {})
    # A body that is not JSON (the API explorer's page and files) is no envelope: Answer.body is empty.
    is_json = headers.get("Content-Type", "application/json").startswith("application/json")
    return Answer(result["statusCode"], headers, json.loads(result["body"]) if is_json else {})


def load_handler(relative: str) -> Any:
    """Import functions/<area>/<name>.py as Lambda would (its folder is the code root).

    load_handler("auth/login") -> the module's `handler`."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "functions" / f"{relative}.py"
    module_name = "fn_" + relative.replace("/", "_")
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def live_session(user_id: str, role: str, ttl: int | None = None) -> tuple[str, str]:
    """A saved, live Session and an access token for it, as a login would leave them: (token, session id).
    `ttl` is the session's absolute expiry (epoch seconds); default one hour from now."""
    from pitchey.auth.models import Session
    from pitchey.auth.tokens import issue_access_token
    from pitchey.core import clock
    from pitchey.core.ids import new_id

    now = clock.iso()
    session_id = new_id()
    Session(
        session_id,
        user_id=user_id,
        role=role,
        created_at=now,
        last_used_at=now,
        refresh_hash="unused",
        ttl=ttl if ttl is not None else clock.epoch() + 3600,
    ).save()
    token, _ = issue_access_token(user_id, session_id, role)
    return token, session_id


class Routes:
    """A context's routes by name, each handler loaded once, and a caller that builds the event:

    ROUTES = Routes("ndas", {"get": ("GET", "/api/ndas/{id}")})
    ROUTES.call("get", actor, id="n1")   # actor: anything with `.token`, or None
    """

    def __init__(self, area: str, routes: dict[str, tuple[str, str]]) -> None:
        self.area = area
        self.routes = routes
        self._handlers: dict[str, Any] = {}

    @classmethod
    def of(cls, area: str) -> Routes:
        """Every HTTP function of functions/<area>/ in template.yaml, named by its module, with its first
        route (a function may also serve an alias route)."""
        from local.template import load_template

        routes: dict[str, tuple[str, str]] = {}
        for resource in load_template()["Resources"].values():
            props = resource.get("Properties") or {}
            if (
                resource["Type"] != "AWS::Serverless::Function"
                or props.get("CodeUri") != f"functions/{area}/"
            ):
                continue
            events = [e["Properties"] for e in (props.get("Events") or {}).values() if e["Type"] == "HttpApi"]
            if events:
                routes[props["Handler"].split(".")[0]] = (events[0]["Method"].upper(), events[0]["Path"])
        return cls(area, routes)

    def handler(self, name: str) -> Any:
        if name not in self._handlers:
            self._handlers[name] = load_handler(f"{self.area}/{name}")
        return self._handlers[name]

    def call(self, name: str, actor: Any, *, source_ip: str = "198.51.100.7", **options: Any) -> Answer:
        """options: body, raw_body, query, headers; every other keyword is a path parameter."""
        method, template = self.routes[name]
        request = {
            key: options.pop(key) for key in ("body", "raw_body", "query", "headers") if key in options
        }
        event = http_event(
            method,
            template.format(**options),
            path_params=options or None,
            token=actor.token if actor else None,
            source_ip=source_ip,
            route_key=f"{method} {template}",
            **request,
        )
        return call(self.handler(name), event)
