"""Delivery of moto's own notifications (SNS topic subscriptions, S3 bucket notifications, EventBridge rule
targets) to the template's functions and state machines.

moto delivers all three to SQS queues in-process (applying SNS filter policies, S3 prefix/suffix rules and
EventBridge patterns itself), but not to Lambda (its Lambda needs Docker) nor, for EventBridge, to Step
Functions. So each subscription/notification/target points, in moto, at a queue of the runtime's own
(`pitchey-local-...`, not the template's), and one thread per such queue long-polls it (ReceiveMessage with
WaitTimeSeconds: moto waits on a condition, so an idle bridge costs no CPU) and hands each message to a
`deliver(body, message)` callback, which turns it into the event AWS would deliver and invokes the target
through the worker pool.

These are asynchronous invocations on AWS: a failed one is retried twice (Lambda's default
MaximumRetryAttempts for async events) - here after RETRY_DELAY_SECONDS (the internal queue's visibility
timeout) rather than AWS's one and two minutes - then dropped and counted in `GET /_local/bridges`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger("pitchey-local")
LONG_POLL_SECONDS = 1
RETRY_DELAY_SECONDS = 1
ASYNC_ATTEMPTS = 3  # one invocation and Lambda's two async retries
PREFIX = "pitchey-local-"


class DeliveryFailed(Exception):
    """Raised by a deliver callback when the target failed (the message is retried)."""


@dataclass
class BridgeStats:
    delivered: int = 0
    retries: int = 0
    dropped: int = 0
    last_error: str | None = None


class Bridge:
    """One internal queue and the callback its messages go to."""

    def __init__(
        self, runtime: Any, name: str, kind: str, target: str, deliver: Callable[[str, dict[str, Any]], None]
    ) -> None:
        self.runtime, self.name, self.kind, self.target, self.deliver = runtime, name, kind, target, deliver
        self.queue_name = internal_queue_name(name)
        self.stats = BridgeStats()
        self._sqs = runtime.aws.client("sqs")
        self.queue_url = self._sqs.create_queue(
            QueueName=self.queue_name, Attributes={"VisibilityTimeout": str(RETRY_DELAY_SECONDS)}
        )["QueueUrl"]
        self.queue_arn = runtime.model.resolver.arn("sqs", self.queue_name)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"bridge-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                messages = self._sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=LONG_POLL_SECONDS,
                    AttributeNames=["ApproximateReceiveCount"],
                ).get("Messages", [])
                for message in messages:
                    self._handle(message)
            except (BotoCoreError, ClientError) as error:
                if self._stop.is_set():
                    return
                self.stats.last_error = str(error)
                self._stop.wait(0.5)

    def _handle(self, message: dict[str, Any]) -> None:
        attempt = int((message.get("Attributes") or {}).get("ApproximateReceiveCount", "1"))
        try:
            self.deliver(message["Body"], message)
        except DeliveryFailed as error:
            self.stats.last_error = str(error)
            if attempt < ASYNC_ATTEMPTS:
                self.stats.retries += 1
                return  # visible again after the visibility timeout
            self.stats.dropped += 1
            log.warning("%s %s: dropped after %d attempts: %s", self.kind, self.name, attempt, error)
        else:
            self.stats.delivered += 1
        self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "target": self.target,
            "queue": self.queue_name,
            "running": self.alive(),
            "delivered": self.stats.delivered,
            "retries": self.stats.retries,
            "dropped": self.stats.dropped,
            "lastError": self.stats.last_error,
        }


def internal_queue_name(name: str) -> str:
    """SQS names: 80 characters of alphanumerics, `-` and `_`."""
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
    return (PREFIX + cleaned)[:80]


def invoke_function(runtime: Any, logical_id: str, event: Any) -> None:
    """An asynchronous-style invocation: an error raises DeliveryFailed (so the bridge retries)."""
    result = runtime.functions.invoke(logical_id, event)
    if result.error is not None:
        raise DeliveryFailed(f"{result.error.get('errorType')}: {result.error.get('errorMessage')}")


class Bridges:
    """Runtime component holding every bridge; plugins add theirs with `add` during their own start."""

    name = "bridges"

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.bridges: list[Bridge] = []

    def add(
        self, name: str, kind: str, target: str, deliver: Callable[[str, dict[str, Any]], None]
    ) -> Bridge:
        bridge = Bridge(self.runtime, name, kind, target, deliver)
        self.bridges.append(bridge)
        bridge.start()
        return bridge

    def start(self) -> None:
        pass  # bridges start as they are added

    def stop(self) -> None:
        for bridge in self.bridges:
            bridge.stop()
        for bridge in self.bridges:
            bridge.join(LONG_POLL_SECONDS + 2)

    def health(self) -> bool:
        return all(bridge.alive() for bridge in self.bridges)

    def admin_handler(self, request: Any) -> Any:
        from local.httpapi import json_response

        return json_response(200, [bridge.describe() for bridge in self.bridges])


class BridgedTriggers:
    """Base of the SNS, S3 and EventBridge components: they wire moto at start (subclasses' `start`); their
    bridges stop with the Bridges component."""

    name = ""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.bridges = bridges_of(runtime)

    def to_function(self, function: str, make_event: Callable[[str], Any]) -> Callable[[str, Any], None]:
        """A deliver callback invoking `function` with make_event(body) (None: nothing to deliver)."""

        def deliver(body: str, message: dict[str, Any]) -> None:
            event = make_event(body)
            if event is not None:
                invoke_function(self.runtime, function, event)

        return deliver

    def stop(self) -> None:
        pass

    def health(self) -> bool:
        return True


def bridges_of(runtime: Any) -> Bridges:
    """The runtime's Bridges component (created and registered by the first plugin that needs it)."""
    existing = getattr(runtime, "_bridges", None)
    if existing is None:
        existing = runtime._bridges = Bridges(runtime)
        runtime.add_component(existing)
        runtime.admin.add("GET", "/_local/bridges", existing.admin_handler)
    return existing
