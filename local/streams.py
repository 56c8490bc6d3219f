"""DynamoDB Stream triggers: functions with `Events: {Type: DynamoDB}` get batches from moto's real stream.

For each such event the poller reads the table's stream through the DynamoDB Streams API of the moto child
(DescribeStream / GetShardIterator / GetRecords, long-polling with local/moto_fixes.py, so a write reaches
the function within milliseconds without busy polling) and invokes the function with
`{"Records": [...]}` in Lambda's record shape (eventID, eventName, eventVersion "1.1", eventSource,
awsRegion, dynamodb{ApproximateCreationDateTime, Keys, NewImage, OldImage, SequenceNumber, SizeBytes,
StreamViewType}, eventSourceARN).

Event source mapping properties honoured: `Stream` (`!GetAtt Table.StreamArn` or a stream ARN),
`StartingPosition` (LATEST = from the runtime's start, TRIM_HORIZON = everything), `BatchSize` (default
100), `MaximumBatchingWindowInSeconds`, `MaximumRetryAttempts` (default -1 = until the record is older than
`MaximumRecordAgeInSeconds`; with both -1, retries go on as long as the runtime runs, as records stay 24 h on
AWS), `BisectBatchOnFunctionError`, `FunctionResponseTypes: [ReportBatchItemFailures]`, `FilterCriteria`
(equality, `prefix`, `exists`, `anything-but`, `numeric` patterns), `Enabled`.

Order: moto keeps one shard per table, so records are delivered strictly in write order (AWS orders per
partition key; this is stricter) and a failing batch holds back the records after it until it succeeds or
is given up. A batch the function fails is retried (with a short backoff: 0.1 s doubling to 2 s); with
BisectBatchOnFunctionError it is split in halves first (not counted as retries); with
ReportBatchItemFailures only the records from the first reported failure on are retried. A batch that runs
out of retries or age is dropped, listed in `GET /_local/streams`, and - with `DestinationConfig.OnFailure`
(an SQS queue or SNS topic) - reported there with Lambda's invocation record (`requestContext.condition`
RetryAttemptsExhausted/RecordAgeExceeded, `DDBStreamBatchInfo`), as on AWS. `ParallelizationFactor` and
`TumblingWindowInSeconds` are not supported.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from local.functions import FAKE_CREDENTIALS
from local.functions_ref import TemplateError
from local.pollers import PollerSet

log = logging.getLogger("pitchey-local")
WAIT_HEADER = "X-Pitchey-Wait-Ms"  # see local/moto_fixes.py
LONG_POLL_MS = 1000
FALLBACK_POLL_SECONDS = 0.05  # when the moto child does not long-poll
MAX_GET_RECORDS = 1000  # GetRecords' Limit maximum
RETRY_BACKOFF_START = 0.1
RETRY_BACKOFF_MAX = 2.0


@dataclass
class StreamMapping:
    function: str  # logical id
    event_name: str
    table: str  # table name (= logical id locally)
    starting_position: str = "LATEST"
    batch_size: int = 100
    batching_window: float = 0.0
    max_retry_attempts: int = -1
    max_record_age: int = -1
    bisect: bool = False
    report_item_failures: bool = False
    filters: list[dict[str, Any]] = field(default_factory=list)
    enabled: bool = True
    on_failure: str | None = None  # ARN of the SQS queue / SNS topic dropped batches are reported to

    @property
    def name(self) -> str:
        return f"{self.function}.{self.event_name}"


def _table_of(model: Any, node: Any, where: str) -> str:
    """The table a `Stream` property names: `!GetAtt T.StreamArn` or a resolved stream ARN."""
    if isinstance(node, dict) and "Fn::GetAtt" in node:
        target = node["Fn::GetAtt"]
        name, attr = (target[0], target[1]) if isinstance(target, list) else str(target).split(".", 1)
        if attr == "StreamArn" and name in model.resources("AWS::DynamoDB::Table"):
            return name
    resolved = str(model.resolver.resolve(node, where))
    if ":table/" in resolved and "/stream/" in resolved:
        return resolved.split(":table/", 1)[1].split("/", 1)[0]
    raise TemplateError(f"{where}: Stream {node!r} is not the stream of a table of this template")


def stream_mappings(model: Any) -> list[StreamMapping]:
    """Every `Type: DynamoDB` event of the template's functions."""
    mappings = []
    tables = model.resources("AWS::DynamoDB::Table")
    for fn in model.functions.values():
        for event_name, event in fn.events.items():
            if event.get("Type") != "DynamoDB":
                continue
            where = f"{fn.logical_id} (Events.{event_name})"
            raw = event.get("Properties") or {}
            table = _table_of(model, raw.get("Stream"), where)
            if table in tables and not (tables[table].get("Properties") or {}).get("StreamSpecification"):
                raise TemplateError(f"{where}: table {table} has no StreamSpecification")
            props = model.resolver.resolve({k: v for k, v in raw.items() if k != "Stream"}, where)
            on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            if on_failure and str(on_failure).split(":")[2:3] not in (["sqs"], ["sns"]):
                raise TemplateError(
                    f"{where}: only SQS and SNS on-failure destinations are supported locally"
                )
            response_types = props.get("FunctionResponseTypes") or []
            filters = [
                json.loads(f["Pattern"]) if isinstance(f.get("Pattern"), str) else f.get("Pattern") or {}
                for f in (props.get("FilterCriteria") or {}).get("Filters") or []
            ]
            mappings.append(
                StreamMapping(
                    function=fn.logical_id,
                    event_name=event_name,
                    table=table,
                    starting_position=str(props.get("StartingPosition", "LATEST")).upper(),
                    batch_size=int(props.get("BatchSize", 100)),
                    batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                    max_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
                    max_record_age=int(props.get("MaximumRecordAgeInSeconds", -1)),
                    bisect=_truthy(props.get("BisectBatchOnFunctionError", False)),
                    report_item_failures="ReportBatchItemFailures" in response_types,
                    filters=filters,
                    enabled=_truthy(props.get("Enabled", True)),
                    on_failure=str(on_failure) if on_failure else None,
                )
            )
    return mappings


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


# --- filter patterns (the subset of EventBridge patterns Lambda filters use) ------------------------------
_MISSING = object()


def matches_filters(filters: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    return not filters or any(_matches(pattern, record) for pattern in filters)


def _matches(pattern: dict[str, Any], value: Any) -> bool:
    for key, rule in pattern.items():
        field_value = value.get(key, _MISSING) if isinstance(value, dict) else _MISSING
        if isinstance(rule, dict):
            if not _matches(rule, field_value):
                return False
        elif isinstance(rule, list):
            if not any(_matches_leaf(condition, field_value) for condition in rule):
                return False
        else:
            return False  # a pattern's leaves are arrays
    return True


def _matches_leaf(condition: Any, value: Any) -> bool:
    if isinstance(condition, dict):
        if "exists" in condition:
            return (value is not _MISSING) == bool(condition["exists"])
        if value is _MISSING:
            return False
        if "prefix" in condition:
            return isinstance(value, str) and value.startswith(condition["prefix"])
        if "anything-but" in condition:
            excluded = condition["anything-but"]
            excluded = excluded if isinstance(excluded, list) else [excluded]
            return value not in excluded
        if "numeric" in condition:
            return _numeric(condition["numeric"], value)
        return False
    if value is _MISSING:
        return False
    if isinstance(value, list):
        return condition in value
    return value == condition


def _numeric(spec: list[Any], value: Any) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    checks = {
        "=": number.__eq__,
        ">": number.__gt__,
        ">=": number.__ge__,
        "<": number.__lt__,
        "<=": number.__le__,
    }
    return all(
        checks[op](float(bound)) for op, bound in zip(spec[::2], spec[1::2], strict=False) if op in checks
    )


# --- records ------------------------------------------------------------------------------------------------
def lambda_record(record: dict[str, Any], region: str, stream_arn: str) -> dict[str, Any]:
    """A GetRecords record (boto3-parsed) in the shape Lambda delivers it."""
    dynamodb = dict(record.get("dynamodb") or {})
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(
            created.replace(tzinfo=created.tzinfo or UTC).timestamp()
        )
    out = {
        "eventID": record.get("eventID"),
        "eventName": record.get("eventName"),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    if record.get("userIdentity"):
        out["userIdentity"] = record["userIdentity"]
    return out


@dataclass
class MappingStats:
    batches: int = 0
    records: int = 0
    filtered: int = 0
    retries: int = 0
    last_sequence_number: str | None = None
    last_error: str | None = None
    dropped: list[dict[str, Any]] = field(default_factory=list)  # newest last, bounded


class BatchFailed(Exception):
    def __init__(self, reason: str, retry_from: int | None = None, function_error: bool = False) -> None:
        super().__init__(reason)
        self.retry_from = retry_from  # partial batch response: index of the first record to retry
        self.function_error = function_error  # the function raised (vs. reported failed records)


class StreamPoller:
    """Reads one mapping's stream and delivers its batches, in order, until stopped."""

    def __init__(self, runtime: Any, mapping: StreamMapping, stop: threading.Event) -> None:
        self.runtime = runtime
        self.mapping = mapping
        self.stats = MappingStats()
        self._stop = stop
        self._thread: threading.Thread | None = None
        self._client: Any = None
        self._long_poll = True
        self.stream_arn: str | None = None
        self.positioned = threading.Event()  # the starting iterator is taken (LATEST is "now" from here)

    # --- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> None:
        self._client = self._streams_client()
        model = self.runtime.model
        name = self.mapping.table
        if name in model.resources("AWS::DynamoDB::Table"):  # a logical id: its (maybe explicit) TableName
            name = model.resolver.ref(name, self.mapping.name)
        table = self.runtime.aws.client("dynamodb").describe_table(TableName=name)["Table"]
        self.stream_arn = table.get("LatestStreamArn")
        if not self.stream_arn:
            raise TemplateError(f"{self.mapping.name}: table {self.mapping.table} has no stream in moto")
        iterators = self._starting_iterators()
        self.positioned.set()
        self._thread = threading.Thread(
            target=self._run, args=(iterators,), name=f"stream-{self.mapping.name}", daemon=True
        )
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _streams_client(self) -> Any:
        # A dedicated client: long polls need a read timeout above the wait, and a header on GetRecords.
        client = boto3.client(
            "dynamodbstreams",
            endpoint_url=self.runtime.aws.endpoint,
            region_name=self.runtime.model.resolver.region,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
            config=Config(read_timeout=LONG_POLL_MS / 1000 + 10, retries={"max_attempts": 2}),
        )

        def add_wait_header(request: Any, **_: Any) -> None:
            request.headers[WAIT_HEADER] = str(LONG_POLL_MS)

        client.meta.events.register("before-sign.dynamodb-streams.GetRecords", add_wait_header)
        return client

    def _starting_iterators(self) -> dict[str, str]:
        shards = self._client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"].get(
            "Shards", []
        )
        kind = "TRIM_HORIZON" if self.mapping.starting_position == "TRIM_HORIZON" else "LATEST"
        return {
            shard["ShardId"]: self._client.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType=kind
            )["ShardIterator"]
            for shard in shards
        }

    def _iterator_after(self, shard_id: str, sequence_number: str | None) -> str:
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": shard_id}
        if sequence_number is None:
            kwargs["ShardIteratorType"] = (
                "TRIM_HORIZON" if self.mapping.starting_position == "TRIM_HORIZON" else "LATEST"
            )
        else:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=sequence_number)
        return self._client.get_shard_iterator(**kwargs)["ShardIterator"]

    # --- reading ------------------------------------------------------------------------------------------
    def _run(self, iterators: dict[str, str]) -> None:
        positions: dict[str, str | None] = dict.fromkeys(iterators)
        buffers: dict[str, list[dict[str, Any]]] = {shard: [] for shard in iterators}
        first_buffered_at: dict[str, float] = {}
        while not self._stop.is_set():
            got_any = False
            for shard_id in list(iterators):
                try:
                    records, iterators[shard_id] = self._get_records(iterators[shard_id])
                except (ClientError, BotoCoreError) as error:
                    self.stats.last_error = f"GetRecords: {error}"
                    if self._stop.wait(FALLBACK_POLL_SECONDS * 4):
                        return
                    with contextlib.suppress(ClientError, BotoCoreError):
                        iterators[shard_id] = self._iterator_after(shard_id, positions[shard_id])
                    continue
                buffer = buffers[shard_id]
                if records:
                    got_any = True
                    positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                    if not buffer:
                        first_buffered_at[shard_id] = time.monotonic()
                    buffer.extend(records)
                window_open = (
                    self.mapping.batching_window > 0
                    and len(buffer) < self.mapping.batch_size
                    and time.monotonic() - first_buffered_at.get(shard_id, 0.0) < self.mapping.batching_window
                )
                if buffer and not window_open:
                    buffers[shard_id] = []
                    self._deliver_all(buffer, shard_id)  # shards are read in turn; each one in order
            if not got_any and not self._long_poll:
                self._stop.wait(FALLBACK_POLL_SECONDS)

    def _get_records(self, iterator: str) -> tuple[list[dict[str, Any]], str]:
        started = time.monotonic()
        limit = min(MAX_GET_RECORDS, max(1, self.mapping.batch_size))
        response = self._client.get_records(ShardIterator=iterator, Limit=limit)
        records = response.get("Records", [])
        if not records and time.monotonic() - started < LONG_POLL_MS / 4000:
            self._long_poll = False  # the moto child answered at once: it does not long-poll (no moto_fixes)
        elif not records:
            self._long_poll = True
        region = self.runtime.model.resolver.region
        assert self.stream_arn is not None
        return [lambda_record(r, region, self.stream_arn) for r in records], response.get(
            "NextShardIterator"
        ) or iterator

    # --- delivering ---------------------------------------------------------------------------------------
    def _deliver_all(self, records: list[dict[str, Any]], shard_id: str = "") -> None:
        selected = [r for r in records if matches_filters(self.mapping.filters, r)]
        self.stats.filtered += len(records) - len(selected)
        size = max(1, self.mapping.batch_size)
        for start in range(0, len(selected), size):
            if self._stop.is_set():
                return
            self._process(selected[start : start + size], shard_id)
        if records:
            self.stats.last_sequence_number = records[-1]["dynamodb"]["SequenceNumber"]

    def _process(self, batch: list[dict[str, Any]], shard_id: str = "") -> None:
        """Deliver one batch until it succeeds or is given up (retries, bisection, partial failures)."""
        attempts = 0
        while batch and not self._stop.is_set():
            try:
                self._invoke(batch)
                return
            except BatchFailed as failure:
                self.stats.last_error = str(failure)
                if failure.retry_from is not None:
                    batch = batch[failure.retry_from :]  # the records before the first failure succeeded
                elif self.mapping.bisect and len(batch) > 1:
                    middle = len(batch) // 2
                    self._process(
                        batch[:middle], shard_id
                    )  # halves are retried alone; not counted as retries
                    self._process(batch[middle:], shard_id)
                    return
                attempts += 1
                condition = self._exhausted(batch, attempts)
                if condition:
                    self._drop(batch, failure, attempts, condition, shard_id)
                    return
                self.stats.retries += 1
                if self._stop.wait(min(RETRY_BACKOFF_START * 2 ** (attempts - 1), RETRY_BACKOFF_MAX)):
                    return

    def _exhausted(self, batch: list[dict[str, Any]], attempts: int) -> str | None:
        """Why the batch is given up (Lambda's on-failure `condition`), or None to retry it."""
        retries = attempts - 1  # the first attempt is not a retry
        if self.mapping.max_retry_attempts >= 0 and retries >= self.mapping.max_retry_attempts:
            return "RetryAttemptsExhausted"
        if self.mapping.max_record_age >= 0:
            oldest = batch[0]["dynamodb"].get("ApproximateCreationDateTime") or time.time()
            if time.time() - float(oldest) > self.mapping.max_record_age:
                return "RecordAgeExceeded"
        return None

    def _invoke(self, batch: list[dict[str, Any]]) -> None:
        result = self.runtime.functions.invoke(self.mapping.function, {"Records": batch})
        self.stats.batches += 1
        if result.error is not None:
            reason = f"{result.error.get('errorType')}: {result.error.get('errorMessage')}"
            raise BatchFailed(reason, function_error=True)
        payload = result.payload if isinstance(result.payload, dict) else {}
        failures = payload.get("batchItemFailures") if self.mapping.report_item_failures else None
        if not failures:  # null, missing or [] = every record succeeded
            self.stats.records += len(batch)
            return
        sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
        try:
            first = min(sequence_numbers.index(str(item["itemIdentifier"])) for item in failures)
        except (KeyError, TypeError, ValueError):
            # Lambda treats an unknown or malformed identifier as a failure of the whole batch.
            raise BatchFailed(f"invalid batchItemFailures {failures!r}") from None
        self.stats.records += first
        raise BatchFailed(f"batchItemFailures from {sequence_numbers[first]}", retry_from=first)

    def _drop(
        self, batch: list[dict[str, Any]], failure: BatchFailed, attempts: int, condition: str, shard_id: str
    ) -> None:
        first, last = batch[0]["dynamodb"]["SequenceNumber"], batch[-1]["dynamodb"]["SequenceNumber"]
        log.warning(
            "stream %s: dropping %d record(s) %s..%s after %d attempt(s) (%s): %s",
            self.mapping.name,
            len(batch),
            first,
            last,
            attempts,
            condition,
            failure,
        )
        entry = {
            "droppedAt": _iso_now(),
            "firstSequenceNumber": first,
            "lastSequenceNumber": last,
            "records": len(batch),
            "attempts": attempts,
            "condition": condition,
            "reason": str(failure),
            "destination": self.mapping.on_failure,
        }
        if self.mapping.on_failure:
            try:
                self._report_failure(batch, failure, attempts, condition, shard_id)
            except (ClientError, BotoCoreError) as error:
                entry["destinationError"] = str(error)
                log.warning("stream %s: on-failure destination failed: %s", self.mapping.name, error)
        self.stats.dropped = [*self.stats.dropped[-49:], entry]

    def _report_failure(
        self, batch: list[dict[str, Any]], failure: BatchFailed, attempts: int, condition: str, shard_id: str
    ) -> None:
        """Send Lambda's invocation record for a dropped stream batch to the SQS queue or SNS topic."""
        destination = self.mapping.on_failure
        assert destination is not None

        def arrival(record: dict[str, Any]) -> str:
            created = record["dynamodb"].get("ApproximateCreationDateTime") or time.time()
            return datetime.fromtimestamp(float(created), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

        response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if failure.function_error:
            response_context["functionError"] = "Unhandled"
        document = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.runtime.model.functions[self.mapping.function].arn,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "responseContext": response_context,
            "version": "1.0",
            "timestamp": _iso_now(),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": arrival(batch[0]),
                "approximateArrivalOfLastRecord": arrival(batch[-1]),
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
        }
        service, name = destination.split(":")[2], destination.split(":")[5]
        if service == "sqs":
            sqs = self.runtime.aws.client("sqs")
            queue_url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(document))
        else:
            self.runtime.aws.client("sns").publish(TopicArn=destination, Message=json.dumps(document))


def _iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class StreamTriggers(PollerSet):
    """Runtime component: one poller per DynamoDB stream event of the template."""

    name = "streams"

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.pollers: list[StreamPoller] = []
        self._stop = threading.Event()

    def start(self) -> None:
        self._stop.clear()
        mappings = [m for m in stream_mappings(self.runtime.model) if m.enabled]
        for destination in {m.on_failure for m in mappings if m.on_failure}:
            self._ensure_destination(destination)
        self.pollers = [StreamPoller(self.runtime, mapping, self._stop) for mapping in mappings]
        for poller in self.pollers:
            poller.start()

    def _ensure_destination(self, arn: str) -> None:
        """The runtime creates the template's queues, not topics (nor queues named only by ARN): create the
        destination if missing (both calls are idempotent), named like `!Ref`/`!GetAtt` resolve it (the
        logical id)."""
        service, name = arn.split(":")[2], arn.split(":")[5]
        if service == "sqs":
            self.runtime.aws.client("sqs").create_queue(QueueName=name)
        else:
            self.runtime.aws.client("sns").create_topic(Name=name)

    def stop(self) -> None:
        self._stop.set()
        for poller in self.pollers:
            poller.join(timeout=LONG_POLL_MS / 1000 + 2)

    def describe_poller(self, p: Any) -> dict[str, Any]:
        return {
            "table": p.mapping.table,
            "streamArn": p.stream_arn,
            "startingPosition": p.mapping.starting_position,
            "batchSize": p.mapping.batch_size,
            "maximumRetryAttempts": p.mapping.max_retry_attempts,
            "bisectBatchOnFunctionError": p.mapping.bisect,
            "reportBatchItemFailures": p.mapping.report_item_failures,
            "records": p.stats.records,
            "filtered": p.stats.filtered,
            "retries": p.stats.retries,
            "lastSequenceNumber": p.stats.last_sequence_number,
            "dropped": p.stats.dropped,
        }


def setup(runtime: Any) -> None:
    """Runtime plugin hook (see local/runtime.py): the component and `GET /_local/streams`."""
    StreamTriggers.install(runtime, "/_local/streams")
