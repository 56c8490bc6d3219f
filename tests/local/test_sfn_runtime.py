"""The fixture application's state machines under a real runtime: boto3 for Step Functions, functions that
call SendTask* themselves, moto's interpreter with local/moto_fixes.py. Durations come from template
Parameters overridden for the tests (DecisionTtlSeconds=2, HeartbeatSeconds=2)."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.local.triggers_support import TriggersApp, triggers_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app() -> TriggersApp:
    return triggers_app()


def start(app: TriggersApp, machine: str, payload: dict, **kwargs: str) -> str:
    arn = app.state_machine_arn(machine)
    return app.sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload), **kwargs)["executionArn"]


def token_for(app: TriggersApp, request_id: str) -> str:
    return app.recorded_one("tokens", request_id, timeout=10)["data"]["token"]


def decide(app: TriggersApp, token: str, send: str, **extra: object) -> dict:
    """The Decider function sends the outcome with boto3 against AWS_ENDPOINT_URL, as an API handler would."""
    return app.invoke("DeciderFunction", {"token": token, "send": send, **extra})


def test_task_token_success_path(app: TriggersApp) -> None:
    request_id = uuid.uuid4().hex
    execution = start(app, "DecisionStateMachine", {"requestId": request_id})
    token = token_for(app, request_id)
    assert decide(app, token, "success", output={"approved": True, "by": "alice"}) == {"ok": True}
    result = app.wait_for_execution(execution)
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {
        "status": "approved",
        "message": f"request {request_id} approved by alice",
    }
    # the token is spent: AWS answers TaskTimedOut for a task that is no longer waiting
    assert decide(app, token, "success", output={"approved": False}) == {"ok": False, "code": "TaskTimedOut"}
    assert decide(app, "not-a-token-we-issued", "success", output={}) == {"ok": False, "code": "InvalidToken"}


def test_task_failure_is_caught(app: TriggersApp) -> None:
    request_id = uuid.uuid4().hex
    execution = start(app, "DecisionStateMachine", {"requestId": request_id})
    token = token_for(app, request_id)
    assert decide(app, token, "heartbeat") == {"ok": True}  # accepted even without HeartbeatSeconds
    assert decide(app, token, "failure", error="Rejected", cause="not a fit") == {"ok": True}
    result = app.wait_for_execution(execution)
    assert json.loads(result["output"]) == {"status": "rejected", "reason": "not a fit"}


def test_timeout_seconds_from_definition_substitutions_ends_in_catch(app: TriggersApp) -> None:
    request_id = uuid.uuid4().hex
    started = time.monotonic()
    execution = start(app, "DecisionStateMachine", {"requestId": request_id})
    token = token_for(app, request_id)
    result = app.wait_for_execution(execution)
    assert 1.5 < time.monotonic() - started < 8  # DecisionTtlSeconds=2
    assert json.loads(result["output"]) == {"status": "expired", "error": "States.Timeout"}
    assert decide(app, token, "success", output={"approved": True}) == {"ok": False, "code": "TaskTimedOut"}


def test_timeout_seconds_path_and_heartbeats(app: TriggersApp) -> None:
    # TimeoutSecondsPath = 1 s from the input ends in the Catch
    quick = uuid.uuid4().hex
    expired = start(app, "SignatureStateMachine", {"requestId": quick, "ttlSeconds": 1})
    # HeartbeatSeconds = 2: heartbeats every 0.7 s keep the task alive past 2 s, then it succeeds
    alive = uuid.uuid4().hex
    kept = start(app, "SignatureStateMachine", {"requestId": alive, "ttlSeconds": 30})
    token = token_for(app, alive)
    assert json.loads(app.wait_for_execution(expired)["output"]) == {
        "status": "expired",
        "error": "States.Timeout",
    }
    for _ in range(4):
        assert decide(app, token, "heartbeat") == {"ok": True}
        time.sleep(0.7)
    assert decide(app, token, "success", output={"signed": True}) == {"ok": True}
    result = app.wait_for_execution(kept)
    assert json.loads(result["output"])["signature"] == {"signed": True}


def test_missing_heartbeat_times_out_like_aws(app: TriggersApp) -> None:
    # AWS reports a heartbeat expiry as States.Timeout (TaskTimedOut event): States.Timeout catchers take it.
    request_id = uuid.uuid4().hex
    started = time.monotonic()
    execution = start(app, "SignatureStateMachine", {"requestId": request_id, "ttlSeconds": 30})
    result = app.wait_for_execution(execution)
    assert time.monotonic() - started < 8
    assert json.loads(result["output"]) == {"status": "expired", "error": "States.Timeout"}
    history = app.sfn.get_execution_history(executionArn=execution)["events"]
    assert "TaskTimedOut" in [event["type"] for event in history]


def test_retry_with_backoff_then_success_and_exhausted_retries(app: TriggersApp) -> None:
    key, hopeless = uuid.uuid4().hex, uuid.uuid4().hex
    execution = start(app, "RetryStateMachine", {"key": key, "failTimes": 2})
    gives_up = start(app, "RetryStateMachine", {"key": hopeless, "failTimes": 99})
    result = app.wait_for_execution(execution, timeout=20)
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"])["result"] == {"attempts": 3}
    calls = sorted(item["data"]["at"] for item in app.recorded("flaky-calls") if item["data"]["key"] == key)
    gaps = [later - earlier for earlier, later in itertools.pairwise(calls)]
    assert len(gaps) == 2
    assert 0.9 <= gaps[0] < 1.6 and 1.4 <= gaps[1] < 2.2  # IntervalSeconds 1, BackoffRate 1.5
    # first call + MaxAttempts 3, then the Catch leads to a Fail state taking error and cause from paths
    failed = app.wait_for_execution(gives_up, timeout=20)
    assert failed["status"] == "FAILED" and failed["error"] == "TransientError"
    assert "attempt 4 failed" in failed["cause"]


def test_choice_wait_parallel_map_and_intrinsics(app: TriggersApp) -> None:
    until = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = {
        "count": 3,
        "name": "pitch",
        "waitSeconds": 1,
        "until": until,
        "configJson": '{"tier": "gold", "limit": 5}',
        "tags": ["a", "b"],
        "items": [10, 20, 30],
    }
    started = time.monotonic()
    execution = start(app, "FlowStateMachine", payload)
    result = app.wait_for_execution(execution, timeout=20)
    assert result["status"] == "SUCCEEDED"
    assert time.monotonic() - started >= 1.0
    output = json.loads(result["output"])
    described, doubled = output["parallel"]
    assert described == {
        "label": "pitch x 3",
        "config": {"tier": "gold", "limit": 5},
        "tagsJson": '["a","b"]',
    }
    assert doubled == {"doubled": 6, "index": None}
    assert output["mapped"] == [
        {"doubled": 20, "index": 0},
        {"doubled": 40, "index": 1},
        {"doubled": 60, "index": 2},
    ]


def test_choice_default_reaches_fail_state(app: TriggersApp) -> None:
    execution = start(app, "FlowStateMachine", {"count": 0})
    result = app.wait_for_execution(execution)
    assert (result["status"], result["error"], result["cause"]) == (
        "FAILED",
        "NothingToDo",
        "count must be positive",
    )


def test_unnamed_executions_get_distinct_uuid_names(app: TriggersApp) -> None:
    payload = {"count": 0}
    first, second = start(app, "FlowStateMachine", payload), start(app, "FlowStateMachine", payload)
    assert first != second
    name = first.rsplit(":", 1)[1]
    assert str(uuid.UUID(name)) == name
    named = start(app, "FlowStateMachine", payload, name="my-run")
    assert named.endswith(":fixture-flow:my-run")
    app.wait_for_execution(named)
    with pytest.raises(ClientError) as duplicate:
        start(app, "FlowStateMachine", {"count": 1}, name="my-run")
    assert duplicate.value.response["Error"]["Code"] == "ExecutionAlreadyExists"


def test_local_executions_lists_status_io_and_history(app: TriggersApp) -> None:
    execution = start(app, "FlowStateMachine", {"count": 0})
    app.wait_for_execution(execution)
    listing = app.process.client.get("/_local/executions", params={"stateMachine": "FlowStateMachine"}).json()
    mine = next(e for e in listing["executions"] if e["executionArn"] == execution)
    assert mine["stateMachine"] == "FlowStateMachine" and mine["status"] == "FAILED"
    assert mine["input"] == {"count": 0} and mine["error"] == "NothingToDo"
    types = [event["type"] for event in mine["events"]]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionFailed"
    assert "ChoiceStateEntered" in types
    one = app.process.client.get(
        "/_local/executions", params={"execution": execution, "history": "false"}
    ).json()
    assert one["executionArn"] == execution and "events" not in one
    failed = app.process.client.get(
        "/_local/executions", params={"status": "FAILED", "history": "false"}
    ).json()
    assert all(e["status"] == "FAILED" for e in failed["executions"])
    assert app.process.client.get("/_local/executions", params={"stateMachine": "Nope"}).status_code == 404
    assert app.process.client.get("/_local/executions", params={"status": "DONE"}).status_code == 400
