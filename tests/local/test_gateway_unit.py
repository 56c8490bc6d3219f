"""API Gateway semantics of the HTTP gateway without processes: routing priority, events, responses."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace

import pytest

from local.httpapi import HttpGateway, HttpRequest, Router
from local.model import HttpApi, Resolver, Route


def router(*keys: str) -> Router:
    api = HttpApi("Api", "abc", "$default")
    for key in keys:
        if key == "$default":
            api.routes.append(Route("ANY", None, "Default", key, None))
        else:
            method, path = key.split(" ", 1)
            api.routes.append(Route(method, path, key, key, None))
    return Router(api)


@pytest.mark.parametrize(
    ("method", "path", "expected", "params"),
    [
        ("GET", "/items/special", "GET /items/special", {}),  # exact beats parameter
        ("GET", "/items/42", "GET /items/{id}", {"id": "42"}),
        (
            "DELETE",
            "/items/42",
            "ANY /items/{id}",
            {"id": "42"},
        ),  # specific method beats ANY, ANY still matches
        ("GET", "/files/a/b/c.txt", "ANY /files/{proxy+}", {"proxy": "a/b/c.txt"}),
        ("GET", "/files/readme", "GET /files/readme", {}),  # exact beats greedy
        (
            "GET",
            "/items/42/extra",
            "ANY /{proxy+}",
            {"proxy": "items/42/extra"},
        ),  # longer literal prefix wins
        ("GET", "/files", "ANY /{proxy+}", {"proxy": "files"}),  # {proxy+} needs one segment
        ("POST", "/items/special", "ANY /items/{id}", {"id": "special"}),
    ],
)
def test_route_priority(method: str, path: str, expected: str, params: dict[str, str]) -> None:
    r = router(
        "GET /items/{id}",
        "GET /items/special",
        "ANY /items/{id}",
        "ANY /files/{proxy+}",
        "GET /files/readme",
        "ANY /{proxy+}",
        "$default",
    )
    route, found = r.match(method, path)
    assert (route.function, found) == (expected, params)


def test_unmatched_goes_to_default_or_nowhere() -> None:
    assert router("GET /a", "$default").match("GET", "/b")[0].route_key == "$default"
    assert router("GET /a").match("GET", "/b") is None
    assert router("GET /a").match("POST", "/a") is None


def gateway() -> HttpGateway:
    model = SimpleNamespace(apis=[HttpApi("Api", "abc123", "dev")], resolver=Resolver({"Resources": {}}, {}))
    return HttpGateway(SimpleNamespace(model=model))


def test_event_is_payload_v2() -> None:
    request = HttpRequest(
        method="POST",
        raw_path="/items/a%20b",
        raw_query="x=1&x=2&y=%C3%A9",
        headers=[
            ("Host", "127.0.0.1:3000"),
            ("X-Dup", "a"),
            ("x-dup", "b"),
            ("Cookie", "s=1; t=2"),
            ("Content-Type", "application/json"),
            ("User-Agent", "ua"),
        ],
        body=b'{"k": 1}',
        source_ip="10.0.0.9",
        received_at=1_700_000_000.5,
    )
    event = gateway().build_event(
        request, Route("POST", "/items/{id}", "F", "E", None), {"id": "a b"}, "rid="
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /items/{id}"
    assert event["rawPath"] == "/items/a%20b"
    assert event["rawQueryString"] == "x=1&x=2&y=%C3%A9"
    assert event["queryStringParameters"] == {"x": "1,2", "y": "é"}
    assert event["cookies"] == ["s=1", "t=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-dup"] == "a,b"
    assert event["pathParameters"] == {"id": "a b"}
    assert (event["body"], event["isBase64Encoded"]) == ('{"k": 1}', False)
    context = event["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/items/a b",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.0.0.9",
        "userAgent": "ua",
    }
    assert (context["apiId"], context["stage"], context["routeKey"], context["requestId"]) == (
        "abc123",
        "dev",
        "POST /items/{id}",
        "rid=",
    )
    assert context["timeEpoch"] == 1_700_000_000_500
    assert context["time"] == "14/Nov/2023:22:13:20 +0000"
    assert context["accountId"] == "123456789012"


def test_binary_bodies_are_base64() -> None:
    request = HttpRequest(
        "POST", "/u", "", [("Content-Type", "application/octet-stream")], b"\x00\xff", "1.2.3.4"
    )
    event = gateway().build_event(request, Route("POST", "/u", "F", "E", None), {}, "r")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\xff"
    assert "queryStringParameters" not in event and "pathParameters" not in event


def test_response_mapping() -> None:
    full = HttpGateway.to_http(
        {
            "statusCode": 201,
            "headers": {"X-A": "1"},
            "multiValueHeaders": {"X-M": ["a", "b"]},
            "cookies": ["c=1", "d=2"],
            "body": "hi",
        }
    )
    assert full.status == 201 and full.body == b"hi"
    assert [v for k, v in full.headers if k == "Set-Cookie"] == ["c=1", "d=2"]
    assert [v for k, v in full.headers if k == "X-M"] == ["a", "b"]
    binary = HttpGateway.to_http(
        {"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(b"\x01").decode()}
    )
    assert binary.body == b"\x01"
    # Payload 2.0 inference: anything that is not a response object is a 200 JSON body.
    inferred = HttpGateway.to_http({"hello": "world"})
    assert (inferred.status, json.loads(inferred.body), inferred.header("content-type")) == (
        200,
        {"hello": "world"},
        "application/json",
    )
    assert HttpGateway.to_http("plain").body == b"plain"
    assert HttpGateway.to_http([1, 2]).body == b"[1, 2]"
    with pytest.raises(ValueError):
        HttpGateway.to_http({"statusCode": "teapot"})
