"""Nothing unsupported is ignored silently: local/coverage.py reports every resource type, property, event
type, event property, Globals section and intrinsic the runtime does not emulate; --strict fails the start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from local.coverage import check
from local.template import TEMPLATE_PATH, load_template

FIXTURES = Path(__file__).parent / "fixtures"
UNSUPPORTED = """
Transform: AWS::Serverless-2016-10-31
Globals:
  HttpApi: {CorsConfiguration: true}
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/
      Handler: echo.handler
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 2}
      EventInvokeConfig: {MaximumEventAgeInSeconds: 60, DestinationConfig: {OnSuccess: {Type: SNS}}}
      Environment:
        Variables:
          ENCODED: !Base64 hello
          PARAM: "{{resolve:ssm:/app/value}}"
      Events:
        Queue:
          Type: SQS
          Properties: {Queue: arn:aws:sqs:us-east-1:123456789012:q, ScalingConfig: {MaximumConcurrency: 2}}
        Changes:
          Type: DynamoDB
          Properties: {Stream: arn:x, StartingPosition: LATEST, ParallelizationFactor: 2}
  Pattern:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [app]}
      EventBusName: orders
      Targets: [{Id: fn, Arn: !GetAtt Fn.Arn, InputTransformer: {InputTemplate: x}}]
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      Subscription: [{Protocol: email, Endpoint: a@example.com}]
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: named
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
"""


@pytest.mark.parametrize(
    "template",
    [
        TEMPLATE_PATH,
        FIXTURES / "template.yaml",
        FIXTURES / "triggers" / "template.yaml",
        *sorted((FIXTURES / "event_sources").glob("*.yaml")),
    ],
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_the_templates_we_serve_are_fully_emulated(template: Path) -> None:
    assert [str(report) for report in check(load_template(template))] == []


def test_everything_not_emulated_is_reported_with_its_logical_id(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(UNSUPPORTED)
    assert sorted(str(report) for report in check(load_template(path))) == sorted(
        [
            "Globals: Globals.HttpApi is not applied locally",
            "Stream: resource type AWS::Kinesis::Stream is not emulated",
            "Fn: AWS::Serverless::Function property ProvisionedConcurrencyConfig is not emulated",
            "Fn: EventInvokeConfig.MaximumEventAgeInSeconds is not emulated",
            "Fn: EventInvokeConfig destinations other than OnFailure SQS are not emulated",
            "Fn: intrinsic Fn::Base64 is not emulated",
            "Fn: dynamic references other than {{resolve:secretsmanager:...}}",
            "Fn (Events.Queue): SQS event property ScalingConfig is not emulated",
            "Fn (Events.Changes): DynamoDB event property ParallelizationFactor is not emulated",
            "Pattern: custom event buses are not emulated (only the default bus)",
            "Pattern: rule target property InputTransformer (Targets[0]) is not emulated",
            "Topic: AWS::SNS::Topic property Subscription is not emulated",
        ]
    )


def start_strict(template: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local", "start", "--strict", "--template", str(template), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_strict_turns_the_reports_into_a_start_error(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(UNSUPPORTED)
    result = start_strict(path)
    assert result.returncode == 2, result.stderr
    assert "not emulated locally (--strict)" in result.stderr
    assert "Stream: resource type AWS::Kinesis::Stream is not emulated" in result.stderr


def test_runtimes_the_host_cannot_honour_are_reported() -> None:
    from local.coverage import runtime_reports

    host = sys.version_info
    assert runtime_reports("F", f"python3.{host.minor}") == []
    assert runtime_reports("F", "python3.9") == []  # older code runs on the newer host Python
    newer = runtime_reports("F", f"python3.{host.minor + 1}")
    expected = f"is not honoured: functions run on the host's Python 3.{host.minor}"
    assert [str(r) for r in newer] == [f"F: Runtime python3.{host.minor + 1} {expected}"]
    assert "not emulated" in str(runtime_reports("F", "java21")[0])


def test_openapi_definitions_report_what_is_not_a_lambda_proxy() -> None:
    from local.coverage import openapi_reports

    document = {
        "openapi": "3.0.1",
        "x-amazon-apigateway-request-validators": {},
        "components": {"securitySchemes": {"jwt": {}}},
        "paths": {
            "/ok": {"get": {"x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": "x"}}},
            "/mock": {
                "post": {"x-amazon-apigateway-integration": {"type": "mock"}, "security": [{"jwt": []}]}
            },
        },
    }
    assert [str(r) for r in openapi_reports("Api", document)] == [
        "Api: DefinitionBody x-amazon-apigateway-request-validators is not emulated",
        "Api: DefinitionBody security schemes (authorizers) are not emulated",
        "Api: DefinitionBody paths./mock.post: integration mock is not emulated",
        "Api: DefinitionBody paths./mock.post: security is not emulated",
    ]


def test_strict_refuses_a_runtime_the_host_cannot_run() -> None:
    result = start_strict(FIXTURES / "apis" / "template.yaml")  # its NodeFunction is nodejs20.x
    assert result.returncode == 2
    assert "NodeFunction: Runtime nodejs20.x is not emulated (Python functions only)" in result.stderr
