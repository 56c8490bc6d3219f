"""Asynchronous invokes that keep failing reach someone: Lambda's retries, then the on-failure queue
(local/destinations.py), on the fixture's FailFunction (a schedule target whose handler raises)."""

from __future__ import annotations

import json
from types import SimpleNamespace

from local.destinations import AsyncConfig, AsyncInvoker
from local.testing import RuntimeProcess
from tests.local.triggers_support import wait_until


def _records(rt: RuntimeProcess) -> list[dict]:
    sqs = rt.boto3("sqs")
    url = sqs.get_queue_url(QueueName="FailureQueue")["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
        "Messages", []
    )
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in messages]


def test_a_failing_schedule_target_is_retried_twice_then_lands_in_the_failure_queue(
    fixture_runtime: RuntimeProcess,
) -> None:
    _records(fixture_runtime)  # whatever an earlier test left
    before = sum("about to fail" in text for _, text in fixture_runtime.function_logs("FailFunction"))
    run = fixture_runtime.run_schedule("FailFunction")
    assert run["error"]["errorType"] == "ValueError"
    (record,) = wait_until(lambda: _records(fixture_runtime), timeout=10)
    attempts = sum("about to fail" in text for _, text in fixture_runtime.function_logs("FailFunction"))
    assert attempts - before == 3  # the first attempt and Lambda's 2 retries
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].endswith(":function:FailFunction:$LATEST")
    assert record["requestPayload"]["detail-type"] == "Scheduled Event"
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "boom"


def test_an_event_invoke_that_fails_lands_there_too(fixture_runtime: RuntimeProcess) -> None:
    _records(fixture_runtime)
    response = fixture_runtime.boto3("lambda").invoke(
        FunctionName="FailFunction", InvocationType="Event", Payload=json.dumps({"job": 7}).encode()
    )
    assert response["StatusCode"] == 202
    (record,) = wait_until(lambda: _records(fixture_runtime), timeout=15, interval=0.2)
    assert record["requestPayload"] == {"job": 7}


def test_a_function_without_a_destination_is_retried_and_its_failure_only_logged() -> None:
    calls = []

    def invoke(logical_id, event):
        calls.append(event)
        return SimpleNamespace(error={"errorType": "E"} if len(calls) < 2 else None, request_id="r")

    runtime = SimpleNamespace(functions=SimpleNamespace(invoke=invoke))
    invoker = AsyncInvoker(runtime, delays=())
    assert invoker.invoke("F", {"n": 1}).error is None  # the first retry succeeded: nothing more
    assert len(calls) == 2
    calls.clear()
    invoker.configs["G"] = AsyncConfig(max_retries=0)
    invoker.invoke("G", {})
    assert len(calls) == 1
