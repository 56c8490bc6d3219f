"""REST APIs, OpenAPI routes, payload 1.0, InlineCode, Lambda fidelity (logging, output before a timeout, the
Lambda API, runtimes the host cannot run) and AWS-documented WebSocket callbacks, through a running runtime
of tests/local/fixtures/apis/template.yaml."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from local.testing import RuntimeProcess

TEMPLATE = Path(__file__).parent / "fixtures" / "apis" / "template.yaml"
NODE_REPORT = "NodeFunction: Runtime nodejs20.x is not emulated (Python functions only); invocations fail"


@pytest.fixture(scope="module")
def rt() -> Iterator[RuntimeProcess]:
    runtime = RuntimeProcess(template=TEMPLATE).start()
    try:
        yield runtime
    finally:
        runtime.stop()


def event_of(rt: RuntimeProcess, path: str, **kwargs: object) -> dict:
    response = rt.client.request(kwargs.pop("method", "GET"), path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return response.json()["event"]


def test_a_runtime_the_host_cannot_run_is_reported_and_its_invocations_fail(rt: RuntimeProcess) -> None:
    assert rt.client.get("/_local/health").json()["notEmulated"] == [NODE_REPORT]
    result = rt.boto3("lambda").invoke(FunctionName="NodeFunction")
    assert result["FunctionError"] == "Unhandled"
    assert json.loads(result["Payload"].read())["errorType"] == "Runtime.InvalidRuntime"


def test_rest_api_event_is_payload_1_0_with_the_stage_in_the_path(rt: RuntimeProcess) -> None:
    response = rt.client.get("/Prod/items/a%20b?tag=x&tag=y", headers=[("X-Dup", "1"), ("X-Dup", "2")])
    assert response.status_code == 200
    assert response.headers.get_list("x-many") == ["a", "b"]  # multiValueHeaders of the response
    event = response.json()["event"]
    assert "version" not in event and "routeKey" not in event
    assert event["resource"] == "/items/{id}" and event["path"] == "/items/a b"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "a b"}
    assert event["headers"]["X-Dup"] == "2" and event["multiValueHeaders"]["X-Dup"] == ["1", "2"]
    assert event["queryStringParameters"] == {"tag": "y"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y"]}
    assert event["stageVariables"] is None and event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "Prod" and context["path"] == "/Prod/items/a b"
    assert context["resourcePath"] == "/items/{id}" and context["httpMethod"] == "GET"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"].startswith("python-httpx")
    assert context["requestId"] and context["requestTimeEpoch"] > 0


def test_rest_api_gateway_answers(rt: RuntimeProcess) -> None:
    missing = rt.client.get("/Prod/nowhere")
    assert (missing.status_code, missing.json()) == (403, {"message": "Missing Authentication Token"})
    assert rt.client.post("/Prod/hello").status_code == 403  # the resource has GET only
    bad = rt.client.get("/Prod/bad")  # a result without statusCode
    assert (bad.status_code, bad.json()) == (502, {"message": "Internal server error"})


def test_explicit_rest_api_stage_variables_binary_media_types_and_greedy_paths(rt: RuntimeProcess) -> None:
    event = event_of(
        rt, "/v1/things/a/b", method="POST", content=b"\x89PNG", headers={"Content-Type": "image/png"}
    )
    assert event["pathParameters"] == {"proxy": "a/b"} and event["resource"] == "/things/{proxy+}"
    assert event["stageVariables"] == {"color": "blue"}
    assert event["requestContext"]["stage"] == "v1"
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x89PNG"
    text = event_of(
        rt, "/v1/things/t", method="POST", content=b"plain", headers={"Content-Type": "text/plain"}
    )
    assert (text["body"], text["isBase64Encoded"]) == ("plain", False)


def test_rest_api_cors_answers_preflights_like_sams_options_methods(rt: RuntimeProcess) -> None:
    preflight = rt.client.options("/v1/things/a", headers={"Origin": "https://app.example.com"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
    assert preflight.headers["access-control-allow-headers"] == "Content-Type,Authorization"
    assert preflight.headers["access-control-max-age"] == "600"
    # ANY on /things/{proxy+}: every method, then OPTIONS.
    assert preflight.headers["access-control-allow-methods"] == "DELETE,GET,HEAD,PATCH,POST,PUT,OPTIONS"
    assert rt.client.options("/v1/elsewhere").status_code == 403  # no such resource
    assert rt.client.options("/Prod/hello").status_code == 403  # the implicit API has no Cors


def test_openapi_definition_body_routes_for_rest_and_http_apis(rt: RuntimeProcess) -> None:
    rest = event_of(rt, "/spec/documents/readme")
    assert rest["resource"] == "/documents/{name}" and rest["pathParameters"] == {"name": "readme"}
    assert rest["requestContext"]["stage"] == "spec"
    # /spec/hello is no resource of the REST API staged "spec", but an HTTP API route: served there.
    http = event_of(rt, "/spec/hello")
    assert http["version"] == "2.0" and http["routeKey"] == "GET /spec/hello"
    v1 = event_of(rt, "/spec/v1/7", method="DELETE")
    assert v1["version"] == "1.0" and v1["resource"] == "/spec/v1/{id}" and v1["httpMethod"] == "DELETE"


def test_http_api_payload_format_1_0_events(rt: RuntimeProcess) -> None:
    event = event_of(rt, "/legacy?a=1&a=2", headers=[("X-Dup", "1"), ("X-Dup", "2")])
    assert event["version"] == "1.0" and event["resource"] == "/legacy" and event["path"] == "/legacy"
    assert event["headers"]["x-dup"] == "1,2" and event["multiValueHeaders"]["x-dup"] == ["1", "2"]
    assert event["queryStringParameters"] == {"a": "1,2"}
    assert event["requestContext"]["stage"] == "$default"
    assert event_of(rt, "/modern")["version"] == "2.0"


def test_inline_code_runs_as_index_py(rt: RuntimeProcess) -> None:
    response = rt.client.get("/Prod/inline")
    assert response.status_code == 200 and response.json() == {"inline": True, "region": "us-east-1"}


def test_api_urls_in_the_template_point_at_the_local_port(rt: RuntimeProcess) -> None:
    body = rt.client.get("/Prod/hello").json()
    assert body["restUrl"] == f"{rt.http}/Prod/hello"
    assert body["httpUrl"] == rt.http


def invoke_logs(rt: RuntimeProcess, function: str) -> tuple[dict, list[str]]:
    result = rt.boto3("lambda").invoke(FunctionName=function, LogType="Tail")
    return result, base64.b64decode(result["LogResult"]).decode().splitlines()


def test_stdlib_logging_goes_through_lambdas_root_handler(rt: RuntimeProcess) -> None:
    result, lines = invoke_logs(rt, "LoggingFunction")
    request_id = result["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert lines[0] == "printed line"
    # Text format: root level WARNING as on Lambda; `[LEVEL]\ttimestamp\trequestId\tmessage`.
    level, stamp, rid, message = lines[1].split("\t")
    assert (level, rid, message) == ("[WARNING]", request_id, "warning line")
    assert stamp.endswith("Z") and len(stamp) == len("2024-01-01T00:00:00.000Z")
    assert lines[2].startswith("[ERROR]\t") and lines[2].endswith("\troot error line")
    assert len(lines) == 3


def test_logging_config_json_and_application_log_level(rt: RuntimeProcess) -> None:
    result, lines = invoke_logs(rt, "JsonLoggingFunction")
    records = [json.loads(line) for line in lines[1:]]
    assert [(r["level"], r["message"]) for r in records] == [
        ("DEBUG", "debug line"),
        ("INFO", "info line"),
        ("WARNING", "warning line"),
        ("ERROR", "root error line"),
    ]
    assert (
        records[0]["logger"] == "fixture"
        and records[0]["requestId"] == result["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    )


def test_output_printed_before_a_timeout_is_kept(rt: RuntimeProcess) -> None:
    result, lines = invoke_logs(rt, "PrintThenHangFunction")
    assert result["FunctionError"] == "Unhandled"
    assert lines[:2] == ["before the timeout", "no newline yet"]
    assert lines[2].endswith("Task timed out after 1.00 seconds")


def test_lambda_api_knows_the_templates_functions(rt: RuntimeProcess) -> None:
    client = rt.boto3("lambda")
    names = {f["FunctionName"] for f in client.list_functions()["Functions"]}
    assert {"RestEchoFunction", "InlineFunction", "LoggingFunction", "CallbackFunction"} <= names
    config = client.get_function(FunctionName="LoggingFunction")["Configuration"]
    assert config["Handler"] == "fidelity.logs" and config["Runtime"] == "python3.11"
    assert config["Timeout"] == 3 and config["Description"] == "logs with the stdlib"
    assert config["LoggingConfig"]["LogGroup"] == "/aws/lambda/LoggingFunction"
    assert config["Role"].endswith(":role/LoggingFunctionRole")  # the one SAM would create
    shared = client.get_function_configuration(FunctionName="JsonLoggingFunction")
    assert shared["LoggingConfig"]["LogGroup"] == "/fixture/functions"
    assert shared["Role"].endswith(":role/SharedRole")
    updated = client.update_function_configuration(
        FunctionName="InlineFunction", Timeout=7, Environment={"Variables": {"EXTRA": "yes"}}
    )
    assert updated["Timeout"] == 7 and updated["Environment"]["Variables"] == {"EXTRA": "yes"}
    assert client.get_function_configuration(FunctionName="InlineFunction")["Timeout"] == 7
    assert rt.client.get("/Prod/inline").status_code == 200  # a fresh worker with the new configuration
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function(FunctionName="Nope")


def test_websocket_callback_written_as_aws_documents_it(rt: RuntimeProcess) -> None:
    """`https://{domainName}/{stage}` reaches the local @connections endpoint (TLS on the WebSocket port,
    trusted by functions through AWS_CA_BUNDLE)."""
    with connect(f"{rt.ws}/dev") as ws:
        ws.send(json.dumps({"action": "callback"}))
        assert ws.recv(timeout=10).startswith("called back on ")
