"""Support for the trigger tests (test_ws_*, test_sfn_*, test_streams_*).

* Fakes: a runtime whose functions are Python callables, with the worker pool's
  `functions.invoke(logical_id, event, timeout)` contract, for fast component tests.
* `triggers_app()`: tests/local/fixtures/triggers/template.yaml served by a real `pitchey-local start`
  (one per test process), driven with real clients (websockets, boto3).
"""

from __future__ import annotations

import atexit
import json
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any


@dataclass
class FakeResult:
    payload: Any = None
    error: dict[str, Any] | None = None
    logs: str = ""
    duration_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "payload": self.payload,
            "error": self.error,
            "logs": self.logs,
            "durationMs": self.duration_ms,
        }


class HandlerError(Exception):
    """Raise from a fake handler to fail the invocation with this errorType/errorMessage."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass
class FakeFunctions:
    handlers: dict[str, Callable[[dict[str, Any]], Any]]
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def invoke(self, logical_id: str, event: dict[str, Any], timeout: float | None = None) -> FakeResult:
        with self._lock:
            self.calls.append((logical_id, event))
        started = time.monotonic()
        try:
            payload = self.handlers[logical_id](event)
        except HandlerError as error:
            return FakeResult(
                error={"errorType": error.error_type, "errorMessage": str(error), "stackTrace": []}
            )
        except Exception as error:
            return FakeResult(
                error={
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_exception(error),
                }
            )
        return FakeResult(payload=payload, duration_ms=(time.monotonic() - started) * 1000)

    def events_of(self, logical_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [event for name, event in self.calls if name == logical_id]


def fake_runtime(handlers: dict[str, Callable[[dict[str, Any]], Any]], **extra: Any) -> SimpleNamespace:
    model = SimpleNamespace(resolver=SimpleNamespace(region="us-east-1", account="123456789012"))
    return SimpleNamespace(model=model, functions=FakeFunctions(handlers), **extra)


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


# --- the trigger fixture application under a real `pitchey-local start` -------------------------------------
TRIGGERS_TEMPLATE = Path(__file__).parent / "fixtures" / "triggers" / "template.yaml"
TRIGGERS_OVERRIDES = {"DecisionTtlSeconds": "60", "QuickDecisionTtlSeconds": "2", "HeartbeatSeconds": "3"}
_shared: dict[str, Any] = {}
_shared_lock = threading.Lock()


class TriggersApp:
    """The running fixture application plus helpers to read what its functions recorded."""

    def __init__(self, process: Any) -> None:
        self.process = process
        self.dynamodb = process.boto3("dynamodb")
        self.sfn = process.boto3("stepfunctions")
        self.lambda_client = process.boto3("lambda")
        self.ws_url = process.ws
        self.connections_endpoint = f"http://127.0.0.1:{process.ws_port}/test"

    def management_api(self) -> Any:
        import boto3

        return boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=self.connections_endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def recorded(self, pk: str) -> list[dict[str, Any]]:
        """Items the fixture functions recorded under `pk`, oldest first, `data` decoded."""
        items = self.dynamodb.query(
            TableName="RecorderTable",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
        )["Items"]
        return [
            {"sk": item["sk"]["S"], **({"data": json.loads(item["data"]["S"])} if "data" in item else {})}
            for item in items
        ]

    def recorded_one(self, pk: str, sk: str, timeout: float = 5.0) -> dict[str, Any]:
        return wait_until(lambda: next((i for i in self.recorded(pk) if i["sk"] == sk), None), timeout)

    def state_machine_arn(self, logical_id: str) -> str:
        machines = self.process.client.get(
            "/_local/executions", params={"history": "false", "limit": 1}
        ).json()
        return next(m["arn"] for m in machines["stateMachines"] if m["logicalId"] == logical_id)

    def wait_for_execution(self, execution_arn: str, timeout: float = 15.0) -> dict[str, Any]:
        def finished() -> dict[str, Any] | None:
            described = self.sfn.describe_execution(executionArn=execution_arn)
            return described if described["status"] != "RUNNING" else None

        return wait_until(finished, timeout, interval=0.05)

    def invoke(self, function: str, payload: dict[str, Any]) -> Any:
        response = self.lambda_client.invoke(FunctionName=function, Payload=json.dumps(payload))
        return json.loads(response["Payload"].read())

    def dynamodb_batch(self, table: str) -> _Batch:
        """Collect puts and write them in one BatchWriteItem (so they land in one stream batch)."""
        return _Batch(self.dynamodb, table)

    def streams(self) -> dict[str, dict[str, Any]]:
        return {m["function"]: m for m in self.process.client.get("/_local/streams").json()}


class _Batch:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self.dynamodb, self.table, self.items = dynamodb, table, []

    def put(self, key: str, **flags: bool) -> None:
        item = {"id": {"S": key}}
        item.update({name: {"BOOL": True} for name, on in flags.items() if on})
        self.items.append({"PutRequest": {"Item": item}})

    def __enter__(self) -> _Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.dynamodb.batch_write_item(RequestItems={self.table: self.items})


def triggers_app() -> TriggersApp:
    """One runtime per test process for every trigger test module (stopped at exit)."""
    from local.testing import RuntimeProcess

    with _shared_lock:
        if "app" not in _shared:
            process = RuntimeProcess(TRIGGERS_OVERRIDES, template=TRIGGERS_TEMPLATE).start(timeout=90)
            atexit.register(process.stop)
            _shared["app"] = TriggersApp(process)
        return _shared["app"]
