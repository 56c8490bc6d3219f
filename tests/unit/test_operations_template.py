"""template.yaml is ready to operate: failures reach someone, logs are kept (and not forever), documents'
access is logged, media can be restored, tables can be restored (issue #19, docs/operations.md)."""

from __future__ import annotations

import json
import re

from local.template import load_template

TEMPLATE = load_template()  # Fn::ForEach expanded, as CloudFormation sees it
RESOURCES = TEMPLATE["Resources"]


def of_type(kind: str) -> dict[str, dict]:
    return {lid: r for lid, r in RESOURCES.items() if r["Type"] == kind}


FUNCTIONS = {lid: r["Properties"] for lid, r in of_type("AWS::Serverless::Function").items()}
ALARMS = {lid: r["Properties"] for lid, r in of_type("AWS::CloudWatch::Alarm").items()}
ASYNC_EVENTS = ("Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent", "S3", "SNS")


def _getatt(value: dict) -> tuple[str, str]:
    attribute = value["Fn::GetAtt"]
    return tuple(attribute.split(".", 1)) if isinstance(attribute, str) else tuple(attribute)


def test_every_asynchronously_invoked_function_sends_its_failures_to_the_async_failure_queue():
    asynchronous = {
        lid
        for lid, props in FUNCTIONS.items()
        if any(e["Type"] in ASYNC_EVENTS for e in (props.get("Events") or {}).values())
    }
    assert asynchronous >= {"DailyDigestFunction", "WeeklyDigestFunction", "EmailRetryFunction"}
    for lid in asynchronous:
        config = FUNCTIONS[lid].get("EventInvokeConfig") or {}
        failure = (config.get("DestinationConfig") or {}).get("OnFailure") or {}
        assert failure.get("Type") == "SQS", lid
        assert _getatt(failure["Destination"]) == ("AsyncFailureQueue", "Arn"), lid
        assert config.get("MaximumRetryAttempts") == 2, lid


def test_every_schedule_rule_has_a_dead_letter_queue_events_may_write_to():
    for lid, props in FUNCTIONS.items():
        for name, event in (props.get("Events") or {}).items():
            if event["Type"] == "Schedule":
                dlq = event["Properties"].get("DeadLetterConfig") or {}
                assert _getatt(dlq.get("Arn", {"Fn::GetAtt": "none.Arn"})) == (
                    "ScheduleDeadLetterQueue",
                    "Arn",
                ), (
                    lid,
                    name,
                )
    (policy,) = of_type("AWS::SQS::QueuePolicy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"


def test_every_stream_consumer_keeps_what_it_could_not_process():
    for lid, props in FUNCTIONS.items():
        for name, event in (props.get("Events") or {}).items():
            if event["Type"] in ("DynamoDB", "Kinesis"):
                failure = (event["Properties"].get("DestinationConfig") or {}).get("OnFailure") or {}
                queue, _ = _getatt(failure["Destination"])
                assert RESOURCES[queue]["Type"] == "AWS::SQS::Queue", (lid, name)


def test_every_queue_and_state_machine_has_an_alarm_and_every_alarm_notifies_the_topic():
    watched_queues = {
        _getatt(d["Value"] if "Fn::GetAtt" in d["Value"] else {"Fn::GetAtt": _sub_ref(d["Value"])})[0]
        for a in ALARMS.values()
        if a["Namespace"] == "AWS/SQS"
        for d in a["Dimensions"]
    }
    assert watched_queues == set(of_type("AWS::SQS::Queue"))
    for a in ALARMS.values():
        if a["Namespace"] == "AWS/SQS":
            assert a["MetricName"] == "ApproximateNumberOfMessagesVisible" and a["Threshold"] == 0
    machines = {
        d["Value"]["Ref"]
        for a in ALARMS.values()
        if a.get("MetricName") == "ExecutionsFailed"
        for d in a["Dimensions"]
    }
    assert machines == set(of_type("AWS::Serverless::StateMachine"))
    metrics = {(a["Namespace"], a["MetricName"], bool(a.get("Dimensions"))) for a in ALARMS.values()}
    assert {("AWS/Lambda", "Errors", False), ("AWS/Lambda", "Throttles", False)} <= metrics  # account-wide
    assert ("AWS/ApiGateway", "5xx", True) in metrics
    for lid, a in ALARMS.items():
        assert a.get("AlarmActions") == [{"Ref": "AlarmTopic"}], lid
    subscription = RESOURCES["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def _sub_ref(value: dict) -> str:
    match = re.fullmatch(r"\$\{(\w+)\.QueueName\}", value["Fn::Sub"])
    assert match, value
    return f"{match.group(1)}.QueueName"


def test_the_dashboard_is_valid_json_and_shows_every_failure_queue():
    (dashboard,) = of_type("AWS::CloudWatch::Dashboard").values()
    body, variables = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    assert variables == {}
    json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
    for queue in of_type("AWS::SQS::Queue"):
        assert "${" + queue + ".QueueName}" in body, queue


def test_every_function_logs_to_a_log_group_with_the_retention_parameter():
    groups = {lid: r["Properties"] for lid, r in of_type("AWS::Logs::LogGroup").items()}
    default = TEMPLATE["Globals"]["Function"]["LoggingConfig"]["LogGroup"]
    assert default == {"Ref": "FunctionLogGroup"}
    for lid, props in FUNCTIONS.items():
        group = (props.get("LoggingConfig") or {}).get("LogGroup", default)
        assert group["Ref"] in groups, lid
    # Lambda refuses a custom group named aws/...; /aws/lambda/<name> would be one group per function.
    assert not groups["FunctionLogGroup"]["LogGroupName"]["Fn::Sub"].startswith(("aws/", "/aws/"))
    for lid, props in groups.items():
        assert props["RetentionInDays"] == {"Ref": "LogRetentionDays"}, lid
    assert TEMPLATE["Parameters"]["LogRetentionDays"]["Default"] == 30
    stage = of_type("AWS::ApiGatewayV2::Stage")["WebSocketStage"]["Properties"]
    assert _getatt(stage["AccessLogSettings"]["DestinationArn"]) == ("WebSocketAccessLogs", "Arn")
    assert "sourceIp" not in stage["AccessLogSettings"]["Format"]


def test_documents_access_is_logged_and_media_can_be_restored():
    nda = RESOURCES["NdaDocumentsBucket"]["Properties"]
    assert nda["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}
    media = RESOURCES["MediaBucket"]["Properties"]
    assert media["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = media["LifecycleConfiguration"]["Rules"]
    assert any(
        r["Status"] == "Enabled" and r["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0 for r in rules
    )
    statements = RESOURCES["AccessLogsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(s.get("Principal") == {"Service": "logging.s3.amazonaws.com"} for s in statements)


def test_every_table_can_be_restored_to_a_point_in_time():
    for lid, table in of_type("AWS::DynamoDB::Table").items():
        spec = table["Properties"].get("PointInTimeRecoverySpecification") or {}
        assert spec.get("PointInTimeRecoveryEnabled") is True, lid


def test_reserved_concurrency_only_when_asked_for():
    reserved = {
        lid: p["ReservedConcurrentExecutions"]
        for lid, p in FUNCTIONS.items()
        if "ReservedConcurrentExecutions" in p
    }
    assert set(reserved) == {
        "DailyDigestFunction",
        "WeeklyDigestFunction",
        "EmailSenderFunction",
        "NdaDocumentFunction",
        "InvestmentDocumentFunction",
    }
    for lid, value in reserved.items():
        condition, amount, otherwise = value["Fn::If"]
        assert condition == "ReserveConcurrency" and otherwise == {"Ref": "AWS::NoValue"}, lid
        assert amount == (1 if "Digest" in lid else 5), lid
    assert TEMPLATE["Parameters"]["ReserveConcurrency"]["Default"] == "false"


def test_fonts_are_only_in_the_functions_that_render_pdfs():
    """A function renders PDFs when its package ships fpdf2: exactly those get the fonts layer."""
    from local.template import ROOT

    def ships_fpdf(props: dict) -> bool:
        requirements = ROOT / str(props.get("CodeUri", "")) / "requirements.txt"
        return requirements.is_file() and "fpdf2" in requirements.read_text()

    with_fonts = {lid for lid, p in FUNCTIONS.items() if {"Ref": "PdfFontsLayer"} in (p.get("Layers") or [])}
    rendering = {lid for lid, p in FUNCTIONS.items() if ships_fpdf(p)}
    assert with_fonts == rendering
    assert {"NdaDocumentFunction", "InvestmentDocumentFunction", "NdaTemplatePreviewFunction"} <= rendering
    assert {"Ref": "PdfFontsLayer"} not in TEMPLATE["Globals"]["Function"]["Layers"]
