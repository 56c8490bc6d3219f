"""The real template served by the local runtime: platform routes, gateway behaviour, AWS endpoint."""

from __future__ import annotations

import concurrent.futures
import json
from collections.abc import Callable

import httpx
import pytest

from local.testing import RuntimeProcess

# This module's runtime differs from the default one in one parameter (checked below).
RUNTIME_OVERRIDES = {"AuthRateLimitPerMinute": "7"}


def test_the_runtime_reports_how_long_it_took_to_be_ready(runtime: RuntimeProcess) -> None:
    """The start time (target < 10 s, #20) is measured by `make bench ARGS=runtime`, on a quiet machine: in
    the test run another worker shares the two cores. Here: the runtime's own clock is reported, and it
    cannot exceed what the client saw from launch to the first healthy answer."""
    reported = runtime.client.get("/_local/health").json()["readySeconds"]
    assert runtime.startup_seconds is not None
    assert 0 < reported <= runtime.startup_seconds


def test_health_endpoint(runtime: RuntimeProcess) -> None:
    response = runtime.client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["data"]["status"] == "ok"
    assert body["data"]["checks"] == {"dynamodb": "ok"}


def test_unknown_route_is_the_404_envelope(runtime: RuntimeProcess) -> None:
    response = runtime.client.get("/api/definitely/not/a/route")
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "NOT_FOUND"


def test_protected_route_without_header_is_the_gateway_401(runtime: RuntimeProcess) -> None:
    routes = runtime.client.get("/_local/routes").json()
    protected = [
        r for r in routes if r["authorizer"] and "{" not in r["routeKey"] and r["routeKey"] != "$default"
    ]
    if not protected:
        pytest.skip("template.yaml declares no protected route yet")
    method, path = protected[0]["routeKey"].split(" ", 1)
    response = runtime.client.request(method, path)
    assert (response.status_code, response.json()) == (401, {"message": "Unauthorized"})


def test_cors_preflight(runtime: RuntimeProcess) -> None:
    response = runtime.client.options(
        "/api/health", headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"  # AllowedOrigins
    assert "GET" in response.headers["access-control-allow-methods"]


def test_concurrent_health_checks(runtime: RuntimeProcess) -> None:
    with (
        httpx.Client(base_url=runtime.http, timeout=30) as client,
        concurrent.futures.ThreadPoolExecutor(20) as pool,
    ):
        statuses = list(pool.map(lambda _: client.get("/api/health").status_code, range(20)))
    assert statuses == [200] * 20


def test_lambda_invoke_through_the_aws_endpoint(runtime: RuntimeProcess) -> None:
    event = {
        "version": "2.0",
        "rawPath": "/api/health",
        "requestContext": {"http": {"method": "GET", "path": "/api/health"}},
    }
    response = runtime.boto3("lambda").invoke(
        FunctionName="HealthFunction", Payload=json.dumps(event).encode()
    )
    payload = json.loads(response["Payload"].read())
    assert payload["statusCode"] == 200
    assert json.loads(payload["body"])["data"]["checks"]["dynamodb"] == "ok"


def test_template_tables_exist(runtime: RuntimeProcess) -> None:
    tables = runtime.boto3("dynamodb").list_tables()["TableNames"]
    assert {"UsersTable", "SessionsTable", "NotificationsTable"} <= set(tables)


def test_runtime_applies_module_overrides(
    runtime: RuntimeProcess, start_runtime: Callable[..., RuntimeProcess]
) -> None:
    assert runtime is not start_runtime()
    assert runtime.overrides["AuthRateLimitPerMinute"] == "7"
    assert runtime.overrides["ApiRateLimitPerMinute"] == "100000"
    assert start_runtime().overrides["AuthRateLimitPerMinute"] == "100000"
    assert runtime.client.get("/api/health").status_code == 200
