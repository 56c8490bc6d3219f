"""SNS, S3 and EventBridge triggers, each with its fixture template under tests/local/fixtures/event_sources
served by a real runtime (one at a time: class-scoped), driven with boto3; what the functions received is
read back from the recorder table."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.testing import RuntimeProcess
from tests.local.triggers_support import wait_until

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).parent / "fixtures" / "event_sources"


def start(name: str, overrides: dict[str, str] | None = None) -> Iterator[RuntimeProcess]:
    process = RuntimeProcess(overrides, template=FIXTURES / name).start(timeout=60)
    try:
        yield process
    finally:
        process.stop()


def recorded(app: RuntimeProcess, pk: str, table: str = "RecorderTable") -> list[Any]:
    items = app.boto3("dynamodb").query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
    )["Items"]
    return [json.loads(item["data"]["S"]) for item in items if "data" in item]


class TestSns:
    TABLE = "acme-recorder"

    @pytest.fixture(scope="class")
    @classmethod
    def app(cls) -> Iterator[RuntimeProcess]:
        yield from start("sns.yaml", {"Prefix": "acme"})

    def publish(self, app: RuntimeProcess, message: Any, **attributes: Any) -> str:
        sns = app.boto3("sns")
        arn = "arn:aws:sns:us-east-1:123456789012:acme-orders"
        return sns.publish(
            TopicArn=arn,
            Message=json.dumps(message),
            Subject="order",
            MessageAttributes={
                k: {"DataType": "Number" if isinstance(v, int) else "String", "StringValue": str(v)}
                for k, v in attributes.items()
            },
        )["MessageId"]

    def messages(self, app: RuntimeProcess, pk: str, tag: str) -> list[dict[str, Any]]:
        return [
            event["Records"][0]
            for event in recorded(app, pk, self.TABLE)
            if tag in event["Records"][0]["Sns"]["Message"]
        ]

    def test_topic_name_and_lambda_record_shape(self, app: RuntimeProcess) -> None:
        topics = [t["TopicArn"] for t in app.boto3("sns").list_topics()["Topics"]]
        assert "arn:aws:sns:us-east-1:123456789012:acme-orders" in topics
        tag = uuid.uuid4().hex
        message_id = self.publish(app, {"tag": tag}, kind="order", amount=5)
        (record,) = wait_until(lambda: self.messages(app, "all", tag), timeout=10)
        assert record["EventSource"] == "aws:sns" and record["EventVersion"] == "1.0"
        assert record["EventSubscriptionArn"].startswith("arn:aws:sns:us-east-1:123456789012:acme-orders:")
        sns = record["Sns"]
        assert sns["MessageId"] == message_id and sns["Type"] == "Notification" and sns["Subject"] == "order"
        assert sns["TopicArn"] == "arn:aws:sns:us-east-1:123456789012:acme-orders"
        assert json.loads(sns["Message"]) == {"tag": tag}
        assert sns["MessageAttributes"]["kind"] == {"Type": "String", "Value": "order"}
        assert sns["Signature"] and sns["SigningCertUrl"] and sns["UnsubscribeUrl"] and sns["Timestamp"]

    def test_structured_message_delivers_the_lambda_entry(self, app: RuntimeProcess) -> None:
        tag = uuid.uuid4().hex
        entries = {"default": f"default {tag}", "sqs": f"sqs {tag}", "lambda": f"lambda {tag}"}
        app.boto3("sns").publish(
            TopicArn="arn:aws:sns:us-east-1:123456789012:acme-orders",
            Message=json.dumps(entries),
            MessageStructure="json",
        )
        (record,) = wait_until(lambda: self.messages(app, "all", tag), timeout=10)
        assert record["Sns"]["Message"] == f"lambda {tag}"

    def test_filter_policies_on_attributes_and_body(self, app: RuntimeProcess) -> None:
        tag = uuid.uuid4().hex
        self.publish(app, {"tag": tag, "n": 1, "status": "pending"}, kind="order", amount=50)
        self.publish(app, {"tag": tag, "n": 2, "status": "shipped"}, kind="order", amount=150)
        self.publish(app, {"tag": tag, "n": 3, "status": "shipping"}, kind="refund", amount=500)
        wait_until(lambda: len(self.messages(app, "all", tag)) == 3, timeout=10)
        # Each subscription is delivered on its own: wait for every one the messages match.
        wait_until(lambda: len(self.messages(app, "shipped", tag)) == 2, timeout=5)
        wait_until(lambda: len(self.messages(app, "big", tag)) == 1, timeout=5)
        big = [json.loads(r["Sns"]["Message"])["n"] for r in self.messages(app, "big", tag)]
        shipped = sorted(json.loads(r["Sns"]["Message"])["n"] for r in self.messages(app, "shipped", tag))
        assert big == [2] and shipped == [2, 3]


class TestS3:
    BUCKET = "acme-uploads-123456789012"

    @pytest.fixture(scope="class")
    @classmethod
    def app(cls) -> Iterator[RuntimeProcess]:
        yield from start("s3.yaml", {"Prefix": "acme"})

    def keys(self, app: RuntimeProcess, pk: str, tag: str) -> list[tuple[str, str]]:
        return [
            (record["eventName"], record["s3"]["object"]["key"])
            for event in recorded(app, pk)
            for record in event["Records"]
            if tag in record["s3"]["object"]["key"]
        ]

    def test_created_with_prefix_and_suffix_and_removed(self, app: RuntimeProcess) -> None:
        s3, tag = app.boto3("s3"), uuid.uuid4().hex
        assert self.BUCKET in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        for key in (f"images/{tag}.jpg", f"images/{tag}.png", f"docs/{tag}.jpg", f"images/sub/{tag} x.jpg"):
            s3.put_object(Bucket=self.BUCKET, Key=key, Body=b"data")
        s3.delete_object(Bucket=self.BUCKET, Key=f"docs/{tag}.jpg")
        created = wait_until(lambda: (k := self.keys(app, "images", tag)) and len(k) >= 2 and k, timeout=10)
        assert sorted(created) == sorted(
            [
                ("ObjectCreated:Put", f"images/sub/{tag}+x.jpg"),  # keys are URL-encoded, as on AWS
                ("ObjectCreated:Put", f"images/{tag}.jpg"),
            ]
        )
        removed = wait_until(lambda: self.keys(app, "removed", tag), timeout=10)
        assert removed == [("ObjectRemoved:Delete", f"docs/{tag}.jpg")]
        (event,) = [e for e in recorded(app, "images") if tag in json.dumps(e)][:1]
        record = event["Records"][0]
        assert record["eventSource"] == "aws:s3" and record["eventVersion"] == "2.1"
        assert record["awsRegion"] == "us-east-1" and record["eventTime"]
        assert record["s3"]["bucket"]["name"] == self.BUCKET
        assert record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{self.BUCKET}"
        assert record["s3"]["object"]["size"] == 4 and record["s3"]["object"]["eTag"]
        assert {"userIdentity", "requestParameters", "responseElements"} <= record.keys()
        assert "versionId" not in record["s3"]["object"]  # the bucket is not versioned

    def test_versioned_bucket_delete_marker_and_version_delete(self, app: RuntimeProcess) -> None:
        s3, tag = app.boto3("s3"), uuid.uuid4().hex
        bucket, key = "acme-archive-123456789012", f"{tag}.txt"
        first = s3.put_object(Bucket=bucket, Key=key, Body=b"one")["VersionId"]
        second = s3.put_object(Bucket=bucket, Key=key, Body=b"two")["VersionId"]
        marker = s3.delete_object(Bucket=bucket, Key=key)["VersionId"]
        s3.delete_object(Bucket=bucket, Key=key, VersionId=first)

        def objects() -> list[tuple[str, str | None]]:
            return sorted(
                (record["eventName"], record["s3"]["object"].get("versionId"))
                for event in recorded(app, "archive")
                for record in event["Records"]
                if record["s3"]["object"]["key"] == key
            )

        events = wait_until(lambda: (found := objects()) and len(found) >= 4 and found, timeout=10)
        assert events == sorted(
            [
                ("ObjectCreated:Put", first),
                ("ObjectCreated:Put", second),
                ("ObjectRemoved:DeleteMarkerCreated", marker),
                ("ObjectRemoved:Delete", first),
            ]
        )
        (marker_record,) = [
            record
            for event in recorded(app, "archive")
            for record in event["Records"]
            if record["s3"]["object"]["key"] == key
            and record["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
        ]
        assert "size" not in marker_record["s3"]["object"] and "eTag" not in marker_record["s3"]["object"]


class TestEventBridge:
    @pytest.fixture(scope="class")
    @classmethod
    def app(cls) -> Iterator[RuntimeProcess]:
        yield from start("eventbridge.yaml")

    def put(self, app: RuntimeProcess, detail_type: str, **detail: Any) -> None:
        entry = {"Source": "shop", "DetailType": detail_type, "Detail": json.dumps(detail)}
        result = app.boto3("events").put_events(Entries=[entry])
        assert result["FailedEntryCount"] == 0

    def test_rules_exist_in_moto(self, app: RuntimeProcess) -> None:
        names = {rule["Name"] for rule in app.boto3("events").list_rules()["Rules"]}
        assert {"orders-placed", "refunds"} <= names

    def test_pattern_matching(self, app: RuntimeProcess) -> None:
        tag = uuid.uuid4().hex
        gold = {"tier": "gold-plus"}
        cases = {
            "match": dict(amount=50, region="us", customer=gold),
            "too-small": dict(amount=5, region="us", customer=gold),
            "too-big": dict(amount=5000, region="us", customer=gold),
            "excluded-region": dict(amount=50, region="eu", customer=gold),
            "wrong-tier": dict(amount=50, region="us", customer={"tier": "silver"}),
            "has-coupon": dict(amount=50, region="us", customer=gold, coupon="X"),
            "match-2": dict(amount=1000, region="ap", customer={"tier": "gold"}),
        }
        for name, detail in cases.items():
            self.put(app, "OrderPlaced", tag=tag, case=name, **detail)
        self.put(app, "OrderShipped", tag=tag, case="other-type", amount=50, region="us", customer=gold)

        def seen() -> list[str]:
            return sorted(e["detail"]["case"] for e in recorded(app, "orders") if e["detail"]["tag"] == tag)

        assert wait_until(lambda: len(s := seen()) >= 2 and s, timeout=10) == ["match", "match-2"]
        event = next(e for e in recorded(app, "orders") if e["detail"]["tag"] == tag)
        assert event["source"] == "shop" and event["detail-type"] == "OrderPlaced"
        assert event["account"] == "123456789012" and event["region"] == "us-east-1"
        assert event["version"] == "0" and event["id"] and event["time"] and event["resources"] == []

    def test_rule_to_state_machine_and_input_path(self, app: RuntimeProcess) -> None:
        tag = uuid.uuid4().hex
        self.put(app, "Refund", tag=tag, amount=3)
        refunds = wait_until(lambda: [d for d in recorded(app, "refunds") if d.get("tag") == tag], timeout=10)
        assert refunds == [{"tag": tag, "amount": 3}]  # InputPath $.detail
        sfn = app.boto3("stepfunctions")
        arn = "arn:aws:states:us-east-1:123456789012:stateMachine:refund-machine"

        def execution() -> dict[str, Any] | None:
            for item in sfn.list_executions(stateMachineArn=arn)["executions"]:
                described = sfn.describe_execution(executionArn=item["executionArn"])
                if tag in described["input"] and described["status"] == "SUCCEEDED":
                    return described
            return None

        described = wait_until(execution, timeout=10)
        event = json.loads(described["input"])
        assert event["detail-type"] == "Refund" and event["detail"] == {"tag": tag, "amount": 3}

    def test_failed_invocation_is_retried(self, app: RuntimeProcess) -> None:
        tag = uuid.uuid4().hex
        self.put(app, "Refund", tag=tag, note="fail-once")
        attempts = wait_until(
            lambda: (r := [d for d in recorded(app, "refunds") if d.get("tag") == tag]) and len(r) >= 2 and r,
            timeout=10,
        )
        assert len(attempts) == 2
