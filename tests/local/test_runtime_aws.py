"""The AWS side of the runtime: moto resources, Lambda Invoke API, SES capture, S3 presigned URLs, workers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from local.testing import ROOT, RuntimeProcess

FIXTURES = Path(__file__).parent / "fixtures"


def invoke(rt: RuntimeProcess, function: str, payload: dict, **kwargs: str) -> tuple[dict, object]:
    response = rt.boto3("lambda").invoke(
        FunctionName=function, Payload=json.dumps(payload).encode(), **kwargs
    )
    body = response["Payload"].read()
    return response, json.loads(body) if body else None


def test_template_resources_exist_in_moto(fixture_runtime: RuntimeProcess) -> None:
    assert "ItemsTable" in fixture_runtime.boto3("dynamodb").list_tables()["TableNames"]
    assert "uploadsbucket" in [b["Name"] for b in fixture_runtime.boto3("s3").list_buckets()["Buckets"]]
    secret = fixture_runtime.boto3("secretsmanager").get_secret_value(SecretId="FixtureSecret")
    assert json.loads(secret["SecretString"])["user"] == "fixture"


def test_functions_reach_moto_through_aws_endpoint_url(fixture_runtime: RuntimeProcess) -> None:
    _, item = invoke(fixture_runtime, "AwsFunction", {"action": "dynamodb", "id": "i1", "value": "v1"})
    assert item == {"id": "i1", "value": "v1"}
    stored = fixture_runtime.boto3("dynamodb").get_item(TableName="ItemsTable", Key={"id": {"S": "i1"}})
    assert stored["Item"]["value"] == {"S": "v1"}


def test_lambda_invoke_api_request_response(fixture_runtime: RuntimeProcess) -> None:
    response, payload = invoke(fixture_runtime, "TickFunction", {"hello": 1}, LogType="Tail")
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert payload == {"received": {"hello": 1}}
    assert "tick" in __import__("base64").b64decode(response["LogResult"]).decode()
    by_arn, _ = invoke(fixture_runtime, "arn:aws:lambda:us-east-1:123456789012:function:TickFunction", {})
    assert by_arn["StatusCode"] == 200


def test_lambda_invoke_api_function_error(fixture_runtime: RuntimeProcess) -> None:
    response, payload = invoke(fixture_runtime, "FailFunction", {})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "ValueError" and payload["errorMessage"] == "boom"
    assert any("fail.py" in line for line in payload["stackTrace"])


def test_lambda_invoke_api_event_and_unknown_function(fixture_runtime: RuntimeProcess) -> None:
    response, _ = invoke(fixture_runtime, "TickFunction", {}, InvocationType="Event")
    assert response["StatusCode"] == 202
    with pytest.raises(ClientError) as error:
        invoke(fixture_runtime, "NoSuchFunction", {})
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_function_invokes_another_through_the_lambda_api(fixture_runtime: RuntimeProcess) -> None:
    _, result = invoke(
        fixture_runtime, "AwsFunction", {"action": "invoke", "function": "TickFunction", "payload": {"n": 2}}
    )
    assert result == {"status": 200, "payload": {"received": {"n": 2}}, "functionError": None}


def test_import_error_is_reported_like_lambda(fixture_runtime: RuntimeProcess) -> None:
    response, payload = invoke(fixture_runtime, "BrokenImportFunction", {})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ImportModuleError"
    assert "module_that_does_not_exist" in payload["errorMessage"]


def test_a_crashed_worker_is_replaced(fixture_runtime: RuntimeProcess) -> None:
    response, payload = invoke(fixture_runtime, "AwsFunction", {"action": "crash"})
    assert response["FunctionError"] == "Unhandled" and payload["errorType"] == "Runtime.ExitError"
    _, item = invoke(
        fixture_runtime, "AwsFunction", {"action": "dynamodb", "id": "i2", "value": "after crash"}
    )
    assert item["value"] == "after crash"


def test_ses_sends_are_captured(fixture_runtime: RuntimeProcess) -> None:
    for action in ("ses_v1", "ses_v2", "ses_raw"):
        _, result = invoke(fixture_runtime, "AwsFunction", {"action": action, "to": f"{action}@example.com"})
        assert result == "sent", result
    v1 = fixture_runtime.emails(to="ses_v1@example.com")
    assert v1 == [
        {
            "from": "Pitchey <noreply@pitchey.dev>",
            "to": ["ses_v1@example.com"],
            "subject": "Hello v1",
            "text": "text body",
            "html": "<p>html body</p>",
            "sentAt": v1[0]["sentAt"],
        }
    ]
    v2 = fixture_runtime.emails(to="ses_v2@example.com")[0]
    assert (v2["from"], v2["subject"], v2["text"], v2["html"]) == (
        "alerts@mail.pitchey.dev",
        "Hello v2",
        "v2 text",
        None,
    )
    raw = fixture_runtime.emails(to="ses_raw@example.com")[0]
    assert (raw["subject"], raw["text"].strip(), raw["html"].strip()) == (
        "Hello raw",
        "raw text",
        "<b>raw html</b>",
    )


def test_s3_presigned_urls_work_from_a_plain_http_client(fixture_runtime: RuntimeProcess) -> None:
    _, urls = invoke(
        fixture_runtime,
        "AwsFunction",
        {"action": "presign", "key": "notes/a.txt", "postKey": "images/p.png", "maxBytes": 10},
    )
    assert urls["put"].startswith(
        f"{fixture_runtime.aws}/uploadsbucket/notes/a.txt?"
    )  # path style, our endpoint
    put = httpx.put(urls["put"], content=b"hello presigned", headers={"Content-Type": "text/plain"})
    assert put.status_code == 200, put.text
    get = httpx.get(urls["get"])
    assert (get.status_code, get.content) == (200, b"hello presigned")
    post = urls["post"]
    ok = httpx.post(post["url"], data=post["fields"], files={"file": ("p.png", b"\x89PNG", "image/png")})
    assert ok.status_code == 204, ok.text
    stored = fixture_runtime.boto3("s3").get_object(Bucket="uploadsbucket", Key="images/p.png")
    assert stored["Body"].read() == b"\x89PNG"


def test_s3_presigned_post_policy_is_enforced(fixture_runtime: RuntimeProcess) -> None:
    _, urls = invoke(
        fixture_runtime,
        "AwsFunction",
        {"action": "presign", "key": "k", "postKey": "images/big.png", "maxBytes": 10},
    )
    post = urls["post"]
    too_big = httpx.post(
        post["url"], data=post["fields"], files={"file": ("big.png", b"x" * 11, "image/png")}
    )
    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text
    wrong_type = httpx.post(
        post["url"],
        data={**post["fields"], "Content-Type": "text/html"},
        files={"file": ("x.html", b"<b>", "text/html")},
    )
    assert wrong_type.status_code == 403 and "AccessDenied" in wrong_type.text
    tampered = httpx.post(
        post["url"],
        data={**post["fields"], "key": "elsewhere/x.png"},
        files={"file": ("x.png", b"\x89", "image/png")},
    )
    assert tampered.status_code == 403
    keys = [
        o["Key"]
        for o in fixture_runtime.boto3("s3").list_objects_v2(Bucket="uploadsbucket").get("Contents", [])
    ]
    assert "images/big.png" not in keys and "elsewhere/x.png" not in keys


def test_schedule_run_admin_endpoint(fixture_runtime: RuntimeProcess) -> None:
    by_event = fixture_runtime.run_schedule("NightlyReport")
    assert by_event["payload"] == {"received": {"job": "nightly"}} and by_event["error"] is None
    by_function = fixture_runtime.client.post("/_local/schedules/TickFunction/run").json()
    assert len(by_function) == 2  # both schedules of the function
    scheduled = next(r for r in by_function if r["schedule"] == "EveryFiveMinutes")["payload"]["received"]
    assert scheduled["detail-type"] == "Scheduled Event"
    assert scheduled["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/EveryFiveMinutes"]
    assert fixture_runtime.client.post("/_local/schedules/Nope/run").status_code == 404


def test_cli_invoke_mirrors_sam_local_invoke(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "dynamodb", "id": "cli", "value": "from cli"}))
    command = [
        sys.executable,
        "-m",
        "local",
        "invoke",
        "AwsFunction",
        "-e",
        str(event),
        "-t",
        str(FIXTURES / "template.yaml"),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"id": "cli", "value": "from cli"}
    failed = subprocess.run(
        [*command[:4], "FailFunction", "-t", str(FIXTURES / "template.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["errorMessage"] == "boom"
    assert "about to fail" in failed.stderr  # the function's logs go to stderr


def test_a_worker_imports_only_what_the_deployed_package_would_have(fixture_runtime: RuntimeProcess) -> None:
    """The dev virtualenv has PyYAML; the fixture functions' package (requirements.txt: stripe), their layer
    and Lambda's SDK do not, so the import fails as it would on AWS (local/packages.py)."""
    response, payload = invoke(fixture_runtime, "AwsFunction", {"action": "import", "module": "yaml"})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "ModuleNotFoundError"
    assert "does not ship PyYAML" in payload["errorMessage"]
    assert "functions/requirements.txt" in payload["errorMessage"]
    for shipped in ("stripe", "requests", "boto3", "json"):  # the package's, its dependency, the SDK, stdlib
        _, result = invoke(fixture_runtime, "AwsFunction", {"action": "import", "module": shipped})
        assert result == shipped
