"""SQS triggers: functions with `Events: {Type: SQS}` get batches from the template's queues in moto.

One poller thread per event long-polls the queue (ReceiveMessage with WaitTimeSeconds: moto waits on a
condition, so an idle queue costs no CPU) and invokes the function through the worker pool with
`{"Records": [...]}` in Lambda's SQS record shape (messageId, receiptHandle, body, attributes,
messageAttributes, md5OfBody, eventSource "aws:sqs", eventSourceARN, awsRegion).

Event source mapping semantics honoured: `BatchSize` (default 10), `MaximumBatchingWindowInSeconds` (a
batch smaller than BatchSize waits up to the window for more messages), the queue's own
`VisibilityTimeout` (a message of a failed batch is received again once it expires), `FunctionResponseTypes:
[ReportBatchItemFailures]` (only the `batchItemFailures` messageIds stay on the queue; an unknown identifier
fails the whole batch, as on AWS), redrive to the queue's `RedrivePolicy.deadLetterTargetArn` after
`maxReceiveCount` receives (moto moves it on the next receive, as SQS does), `Enabled`. Messages are deleted
only when the function succeeds. Not emulated: `ScalingConfig.MaximumConcurrency` (one batch at a time per
event), `FilterCriteria`, FIFO ordering guarantees beyond moto's.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local.functions_ref import TemplateError
from local.pollers import PollerSet

log = logging.getLogger("pitchey-local")
LONG_POLL_SECONDS = 1  # also how long a stop waits for a poller
ERROR_BACKOFF_SECONDS = 0.5


@dataclass
class QueueMapping:
    function: str  # logical id
    event_name: str
    queue: str  # logical id of the queue
    batch_size: int = 10
    batching_window: float = 0.0
    report_item_failures: bool = False
    enabled: bool = True

    @property
    def name(self) -> str:
        return f"{self.function}.{self.event_name}"


def _queue_of(model: Any, node: Any, where: str) -> str:
    """The template queue an SQS event's `Queue` (`!GetAtt Q.Arn`, or the resolved ARN) names."""
    queues = model.resources("AWS::SQS::Queue")
    if isinstance(node, dict) and "Fn::GetAtt" in node:
        target = node["Fn::GetAtt"]
        name = target[0] if isinstance(target, list) else str(target).split(".", 1)[0]
        if name in queues:
            return name
    arn = str(model.resolver.resolve(node, where))
    for lid in queues:
        if model.resolver.getatt(lid, "Arn", where) == arn:
            return lid
    raise TemplateError(f"{where}: Queue {node!r} is not a queue of this template")


def queue_mappings(model: Any) -> list[QueueMapping]:
    """Every `Type: SQS` event of the template's functions."""
    mappings = []
    for fn in model.functions.values():
        for event_name, event in fn.events.items():
            if event.get("Type") != "SQS":
                continue
            where = f"{fn.logical_id} (Events.{event_name})"
            raw = event.get("Properties") or {}
            queue = _queue_of(model, raw.get("Queue"), where)
            props = model.resolver.resolve({k: v for k, v in raw.items() if k != "Queue"}, where)
            mappings.append(
                QueueMapping(
                    function=fn.logical_id,
                    event_name=event_name,
                    queue=queue,
                    batch_size=int(props.get("BatchSize", 10)),
                    batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                    report_item_failures="ReportBatchItemFailures"
                    in (props.get("FunctionResponseTypes") or []),
                    enabled=str(props.get("Enabled", True)).lower() == "true",
                )
            )
    return mappings


def lambda_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """A ReceiveMessage message in the shape Lambda delivers it."""
    attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value["DataType"],
        }
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes") or {},
        "messageAttributes": attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


@dataclass
class QueueStats:
    batches: int = 0
    messages: int = 0  # deleted after a successful invocation
    failed: int = 0  # left on the queue by a failed batch or a reported item failure
    last_error: str | None = None


class QueuePoller:
    def __init__(self, runtime: Any, mapping: QueueMapping, stop: threading.Event) -> None:
        self.runtime, self.mapping, self._stop = runtime, mapping, stop
        resolver = runtime.model.resolver
        self.queue_url = runtime.aws.client("sqs").get_queue_url(
            QueueName=resolver.getatt(mapping.queue, "QueueName", mapping.name)
        )["QueueUrl"]
        self.queue_arn = resolver.getatt(mapping.queue, "Arn", mapping.name)
        self.stats = QueueStats()
        self._sqs = runtime.aws.client("sqs")
        self._thread = threading.Thread(target=self._run, name=f"sqs-{mapping.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def _receive(self, count: int, wait: int) -> list[dict[str, Any]]:
        return self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(10, count)),
            WaitTimeSeconds=wait,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])

    def _batch(self) -> list[dict[str, Any]]:
        batch = self._receive(self.mapping.batch_size, LONG_POLL_SECONDS)
        if not batch:
            return batch
        deadline = time.monotonic() + self.mapping.batching_window
        while len(batch) < self.mapping.batch_size and not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            more = self._receive(self.mapping.batch_size - len(batch), max(1, min(20, int(remaining))))
            if not more and time.monotonic() >= deadline:
                break
            batch += more
        return batch

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                batch = self._batch()
                if batch:
                    self._deliver(batch)
            except (BotoCoreError, ClientError) as error:
                if self._stop.is_set():
                    return
                self.stats.last_error = str(error)
                log.warning("SQS trigger %s: %s", self.mapping.name, error)
                self._stop.wait(ERROR_BACKOFF_SECONDS)

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        region = self.runtime.model.resolver.region
        records = [lambda_record(m, self.queue_arn, region) for m in batch]
        result = self.runtime.functions.invoke(self.mapping.function, {"Records": records})
        self.stats.batches += 1
        keep = self._failed_ids(result, records)
        done = [r for r in records if r["messageId"] not in keep]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                for i, r in enumerate(done[start : start + 10])
            ]
            self._sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        self.stats.messages += len(done)
        self.stats.failed += len(records) - len(done)

    def _failed_ids(self, result: Any, records: list[dict[str, Any]]) -> set[str]:
        """messageIds to leave on the queue (they come back after the visibility timeout)."""
        every = {r["messageId"] for r in records}
        if result.error is not None:
            self.stats.last_error = f"{result.error.get('errorType')}: {result.error.get('errorMessage')}"
            return every
        payload = result.payload if isinstance(result.payload, dict) else {}
        failures = payload.get("batchItemFailures") if self.mapping.report_item_failures else None
        if not failures:  # null, missing or [] = every message succeeded
            return set()
        try:
            ids = {str(item["itemIdentifier"]) for item in failures}
        except (KeyError, TypeError):
            ids = {""}
        if not ids <= every:  # Lambda fails the whole batch on an unknown or malformed identifier
            self.stats.last_error = f"invalid batchItemFailures {failures!r}"
            return every
        return ids


class QueueTriggers(PollerSet):
    """Runtime component: one poller per SQS event of the template."""

    name = "queues"

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.pollers: list[QueuePoller] = []
        self._stop = threading.Event()

    def start(self) -> None:
        self._stop.clear()
        mappings = [m for m in queue_mappings(self.runtime.model) if m.enabled]
        self.pollers = [QueuePoller(self.runtime, mapping, self._stop) for mapping in mappings]
        for poller in self.pollers:
            poller.start()

    def stop(self) -> None:
        self._stop.set()
        for poller in self.pollers:
            poller.join(timeout=LONG_POLL_SECONDS + 2)

    def describe_poller(self, p: Any) -> dict[str, Any]:
        return {
            "queue": p.mapping.queue,
            "queueUrl": p.queue_url,
            "batchSize": p.mapping.batch_size,
            "maximumBatchingWindowInSeconds": p.mapping.batching_window,
            "reportBatchItemFailures": p.mapping.report_item_failures,
            "messages": p.stats.messages,
            "failed": p.stats.failed,
        }


def setup(runtime: Any) -> None:
    """Runtime plugin hook (see local/runtime.py): the component and `GET /_local/queues`."""
    QueueTriggers.install(runtime, "/_local/queues")
