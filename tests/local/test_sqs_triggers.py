"""SQS triggers of tests/local/fixtures/queues under a real runtime: messages sent with boto3, what the
functions received read back from RecorderTable."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.testing import RuntimeProcess
from tests.local.triggers_support import wait_until

pytestmark = pytest.mark.integration
TEMPLATE = Path(__file__).parent / "fixtures" / "event_sources" / "sqs.yaml"


@pytest.fixture(scope="module")
def app() -> Iterator[RuntimeProcess]:
    process = RuntimeProcess({"Prefix": "acme"}, template=TEMPLATE).start(timeout=60)
    try:
        yield process
    finally:
        process.stop()


def recorded(app: RuntimeProcess, pk: str) -> list[dict[str, Any]]:
    items = app.boto3("dynamodb").query(
        TableName="RecorderTable",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
    )["Items"]
    return [json.loads(item["data"]["S"]) for item in items if "data" in item]


def queue_url(app: RuntimeProcess, name: str) -> str:
    return app.boto3("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def test_explicit_queue_names_and_environment_references(app: RuntimeProcess) -> None:
    names = {u.rsplit("/", 1)[1] for u in app.boto3("sqs").list_queues()["QueueUrls"]}
    assert {"BatchQueue", "acme-dead-letters", "acme-work-us-east-1"} <= names
    response = app.boto3("lambda").invoke(FunctionName="WorkFunction", Payload=json.dumps({"env": True}))
    env = json.loads(response["Payload"].read())
    assert env == {
        "WORK_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/acme-work-us-east-1",
        "WORK_QUEUE_ARN": "arn:aws:sqs:us-east-1:123456789012:acme-work-us-east-1",
        "WORK_QUEUE_NAME": "acme-work-us-east-1",
        "DLQ_NAME": "acme-dead-letters",
    }


def test_batches_respect_batch_size_in_lambda_record_shape(app: RuntimeProcess) -> None:
    sqs, url = app.boto3("sqs"), queue_url(app, "BatchQueue")
    tag = uuid.uuid4().hex[:8]
    bodies = [f"{tag}-{i}" for i in range(7)]
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {
                "Id": str(i),
                "MessageBody": body,
                "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "test"}},
            }
            for i, body in enumerate(bodies)
        ],
    )

    def mine() -> list[list[str]]:
        batches = [[b for b in r["bodies"] if b.startswith(tag)] for r in recorded(app, "batches")]
        return [b for b in batches if b]

    batches = wait_until(lambda: (b := mine()) and sum(map(len, b)) >= 7 and b, timeout=10)
    assert sorted(body for batch in batches for body in batch) == sorted(bodies)
    assert max(map(len, batches)) == 3  # BatchSize, filled within the batching window
    assert all(len(batch) <= 3 for batch in batches)
    record = next(r for r in recorded(app, "batches") for r in r["records"] if r["body"] == bodies[0])
    assert record["eventSource"] == "aws:sqs" and record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:BatchQueue"
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "test",
            "binaryValue": None,
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert record["messageId"] and record["receiptHandle"] and record["md5OfBody"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1" and "SentTimestamp" in record["attributes"]
    # Deleted on success: nothing left to receive.
    time.sleep(1.2)  # past the visibility timeout
    assert app.boto3("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None


def deliveries(app: RuntimeProcess, tag: str) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {}
    for item in recorded(app, "deliveries"):
        if item["body"].endswith(tag):
            seen.setdefault(item["body"], []).append(item["attempt"])
    return seen


def test_partial_failure_redelivers_only_failed_and_redrives_to_dlq(app: RuntimeProcess) -> None:
    sqs, url = app.boto3("sqs"), queue_url(app, "acme-work-us-east-1")
    tag = uuid.uuid4().hex[:8]
    bodies = [f"ok-{tag}", f"fail-once-{tag}", f"fail-always-{tag}"]
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)]
    )
    dlq = queue_url(app, "acme-dead-letters")

    def dead() -> list[dict[str, Any]]:
        return sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages") or []

    moved = wait_until(dead, timeout=10)
    assert [m["Body"] for m in moved] == [f"fail-always-{tag}"]
    seen = deliveries(app, tag)
    assert seen[f"ok-{tag}"] == [1]  # deleted after its first, successful, delivery
    assert seen[f"fail-once-{tag}"] == [1, 2]  # back after the visibility timeout, then deleted
    assert seen[f"fail-always-{tag}"] == [1, 2]  # maxReceiveCount 2, then to the DLQ


def test_function_error_leaves_whole_batch_on_queue(app: RuntimeProcess) -> None:
    sqs, url = app.boto3("sqs"), queue_url(app, "acme-work-us-east-1")
    tag = uuid.uuid4().hex[:8]
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "0", "MessageBody": f"crash-{tag}"}, {"Id": "1", "MessageBody": f"fine-{tag}"}],
    )
    seen = wait_until(lambda: (s := deliveries(app, tag)) and len(s.get(f"fine-{tag}", [])) >= 2 and s, 10)
    assert seen[f"crash-{tag}"][:2] == [1, 2] and seen[f"fine-{tag}"][:2] == [1, 2]
    queues = {q["function"]: q for q in app.client.get(f"{app.http}/_local/queues").json()}
    assert queues["WorkFunction"]["reportBatchItemFailures"] is True and queues["WorkFunction"]["running"]
