"""Lambda's asynchronous invocation: retries, then the on-failure destination (EventInvokeConfig).

A schedule target and an `Invoke` with InvocationType Event run asynchronously. When the function fails,
Lambda runs it again MaximumRetryAttempts times (default 2; about 1 and 2 minutes apart, locally
RETRY_DELAYS seconds) and then, when the function's EventInvokeConfig has an OnFailure destination of
Type SQS, sends the invocation record to that queue, in Lambda's format:

    {"version": "1.0", "timestamp": ..., "requestContext": {"requestId", "functionArn",
     "condition": "RetriesExhausted", "approximateInvokeCount"}, "requestPayload": <the event>,
     "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
     "responsePayload": {"errorType", "errorMessage", ...}}

Read from SAM's `EventInvokeConfig` property of a function and from `AWS::Lambda::EventInvokeConfig`.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("pitchey-local")

RETRY_DELAYS = (1.0, 2.0)  # seconds before the 2nd and 3rd attempt (Lambda: ~1 and ~2 minutes)


@dataclass(frozen=True)
class AsyncConfig:
    max_retries: int = 2
    on_failure: str | None = None  # SQS queue ARN


def _config(props: dict[str, Any], resolve: Any, where: str) -> AsyncConfig:
    retries = props.get("MaximumRetryAttempts")
    failure = ((props.get("DestinationConfig") or {}).get("OnFailure")) or {}
    destination = failure.get("Destination")
    kind = failure.get("Type", "SQS")  # SAM's Type; AWS::Lambda::EventInvokeConfig has none (an ARN)
    arn = str(resolve(destination, where)) if destination is not None else None
    queue = arn if arn and (kind == "SQS" or ":sqs:" in arn) else None
    return AsyncConfig(2 if retries is None else int(resolve(retries, where)), queue)


def async_configs(model: Any) -> dict[str, AsyncConfig]:
    """Function logical id -> its asynchronous invocation settings (Lambda's defaults when it has none)."""
    resolve = model.resolver.resolve
    configs: dict[str, AsyncConfig] = {}
    for lid, resource in model.template.get("Resources", {}).items():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and props.get("EventInvokeConfig"):
            configs[lid] = _config(props["EventInvokeConfig"], resolve, lid)
        elif resource.get("Type") == "AWS::Lambda::EventInvokeConfig":
            target = props.get("FunctionName")
            function = target.get("Ref") if isinstance(target, dict) else target
            if function:
                configs[str(function)] = _config(props, resolve, lid)
    return configs


def failure_record(function_arn: str, event: Any, result: Any, attempts: int) -> dict[str, Any]:
    """What Lambda sends to an on-failure destination."""
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "requestContext": {
            "requestId": result.request_id,
            "functionArn": f"{function_arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": result.error,
    }


class AsyncInvoker:
    """Runtime component: asynchronous invocations with Lambda's retries and on-failure destination."""

    name = "destinations"

    def __init__(self, runtime: Any, delays: tuple[float, ...] = RETRY_DELAYS) -> None:
        self.runtime = runtime
        self.delays = delays
        self.configs: dict[str, AsyncConfig] = {}
        self.sent: list[dict[str, Any]] = []  # records sent to destinations (newest last, bounded)

    def start(self) -> None:
        self.configs = async_configs(self.runtime.model)

    def stop(self) -> None:
        pass

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Run `logical_id` as an asynchronous invocation would (blocking the calling thread)."""
        config = self.configs.get(logical_id, AsyncConfig())
        attempts = 0
        while True:
            result = self.runtime.functions.invoke(logical_id, event)
            attempts += 1
            if result.error is None or attempts > config.max_retries:
                break
            time.sleep(self.delays[min(attempts - 1, len(self.delays) - 1)] if self.delays else 0)
        if result.error is not None and config.on_failure:
            self._send(logical_id, config.on_failure, event, result, attempts)
        return result

    def submit(self, logical_id: str, event: Any) -> Any:
        """InvocationType Event: queued, the caller does not wait (a Future)."""
        return self.runtime.functions.invoke_async(logical_id, event, run=self.invoke)

    def _send(self, logical_id: str, queue_arn: str, event: Any, result: Any, attempts: int) -> None:
        spec = self.runtime.functions.function(logical_id)
        record = failure_record(spec.arn, event, result, attempts)
        queue_name = queue_arn.rsplit(":", 1)[-1]
        try:
            sqs = self.runtime.aws.client("sqs")
            url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))
        except Exception as error:
            log.warning("on-failure destination %s of %s: %s", queue_name, logical_id, error)
            return
        self.sent = [*self.sent[-99:], {"function": logical_id, "queue": queue_name, "record": record}]
        log.warning("%s failed %d times; the event went to %s", logical_id, attempts, queue_name)

    def describe(self) -> dict[str, Any]:
        return {
            lid: {"maximumRetryAttempts": c.max_retries, "onFailure": c.on_failure}
            for lid, c in self.configs.items()
        }
