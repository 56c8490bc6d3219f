"""Fixes to moto 5.2.5 for the trigger plugins: Step Functions (`moto.stepfunctions.parser`, LocalStack's ASL
engine) and DynamoDB Streams.

`install()` must run inside the moto server process before it serves (local/awsserver.py calls it). Each
fix is covered by tests/local/test_sfn_*.py or test_streams_*.py; what it corrects, as observed against
moto 5.2.5:

Step Functions

1. `StartExecution` without `name` created an execution literally named "None"; a second unnamed start
   then failed with ExecutionAlreadyExists (different input) or returned the first execution (same input).
   AWS generates a UUID name.
2. The parser's API errors (TaskTimedOut, TaskDoesNotExist, InvalidDefinition, ...) were not serialisable
   (`TaskTimedOut()` raised TypeError -> HTTP 500; InvalidDefinition reached boto3 with an empty code).
3. Task tokens had no lifecycle: SendTaskSuccess/Failure for a task that had already completed, failed or
   timed out "succeeded" silently while its execution ran on, and answered InvalidToken once it ended.
   AWS answers TaskTimedOut for every token whose task is no longer waiting, InvalidToken only for tokens
   it never issued.
4. SendTaskHeartbeat for a waiting task without HeartbeatSeconds answered InvalidToken; AWS accepts it.
   SendTaskFailure dropped its `cause` (a Catch saw `"Cause": null`); SendTaskSuccess accepted an output
   that is not JSON (the execution then broke); AWS answers InvalidOutput.
5. Every Task state built a new boto3 client (~250 ms per Lambda call); clients are now cached.

DynamoDB Streams
6. An UpdateItem that creates the item wrote two INSERT records (keys only, then the item); AWS writes one.
7. A write that changes nothing (same PutItem again, SET to the same value) wrote a MODIFY record; AWS
   writes none.
8. TransactWriteItems wrote stream records before it knew whether the transaction commits (a reader
   could see records of a cancelled transaction), and its rollback swapped in a copy of each table, so
   shard iterators taken before kept reading a stream nobody writes to any more. Records of a transaction
   are now written when it commits, and iterators follow the table's current stream.
9. Every GetRecords kept a new shard iterator forever (a memory leak under frequent polling): iterators are
   now capped at the newest 10 000 (AWS expires them after 15 minutes).
10. GetRecords can long-poll: with the request header `X-Pitchey-Wait-Ms: <ms>` an empty answer waits up
   to that long for the next record of the table (local/streams.py uses it: low latency without busy
   polling). Clients that do not send the header see the API unchanged.
11. Every DynamoDB answer went through moto's generic per-attribute response serializer: ~85 % of a warm
   Query of ten pitches (60 of 70 ms), the local runtime's main cost under concurrent reads. DynamoDB's JSON
   protocol is the result dict itself, so a successful result is now written with json.dumps (errors, and
   any result json cannot write, still go through moto's serializer).

S3 and SNS (the triggers of local/s3events.py and local/notifications_sns.py)
12. In a versioned bucket a DeleteObject without a version created a delete marker and sent no event; AWS
   sends `ObjectRemoved:DeleteMarkerCreated`. Deleting one version of several sent nothing (AWS sends
   `ObjectRemoved:Delete`), and no record carried the object's `versionId`.
13. A `MessageStructure: json` publish reached a Lambda subscription (locally an SQS queue of the runtime's
   own) with the message's `sqs` entry; Lambda gets the `lambda` entry (or `default`).

DynamoDB transactions
14. TransactWriteItems ignored `ClientRequestToken`: an SDK retry of a transaction that was applied but whose
   answer was lost (a read timeout under load) applied it again, or, its conditions now false, reported a
   success as a failure. As on AWS, a token seen with the same items within 10 minutes answers success and
   applies nothing, with other items IdempotentParameterMismatchException, and while the first request
   with it is still running TransactionInProgressException. Only committed transactions are remembered.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.abc
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

_installed = False
_lock = threading.Lock()
TASK_CLOSED_MESSAGE = "Task Timed Out: 'Provided task does not exist anymore'"


def install() -> None:
    """Apply every fix (idempotent). A fix runs when moto imports the module it fixes (at once if it is
    imported already), so installing costs nothing at start-up: the Step Functions interpreter alone takes
    seconds to import, and is only loaded by the first Step Functions request."""
    global _installed
    with _lock:
        if _installed:
            return
        hooks = {
            "moto.stepfunctions.parser.api": [_fix_api_errors],
            "moto.stepfunctions.parser.models": [_fix_execution_names, _fix_task_tokens],
            "moto.stepfunctions.responses": [_fix_send_task_failure_response],
            "moto.stepfunctions.parser.asl.utils.boto_client": [_cache_boto_clients],
            "moto.dynamodb.models": [_fix_stream_records],
            "moto.dynamodb.responses": [_json_dynamodb_results, _idempotent_transactions],
            "moto.dynamodbstreams.models": [_fix_shard_iterators],
            "moto.dynamodbstreams.responses": [_long_poll_get_records],
            "moto.s3.models": [_fix_versioned_delete_events, _add_version_ids],
            "moto.sns.models": [_lambda_entry_of_structured_messages],
        }
        pending = {}
        for module, fixes in hooks.items():
            if module in sys.modules:
                for fix in fixes:
                    fix()
            else:
                pending[module] = fixes
        if pending:
            sys.meta_path.insert(0, _AfterImport(pending))
        _installed = True


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs callbacks right after the named modules are executed (a post-import hook)."""

    def __init__(self, pending: dict[str, list[Callable[[], None]]]) -> None:
        self.pending = pending

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in self.pending:
            return None
        spec = next(
            (
                found
                for finder in sys.meta_path
                if finder is not self and hasattr(finder, "find_spec")
                for found in [finder.find_spec(fullname, path, target)]
                if found is not None
            ),
            None,
        )
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module
        fixes = self.pending.pop(fullname)

        def exec_module(module: Any) -> None:
            execute(module)
            for fix in fixes:
                fix()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _fix_api_errors() -> None:
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser import api

    for value in vars(api).values():
        if not (isinstance(value, type) and issubclass(value, AWSError)) or value is AWSError:
            continue
        code = value.__dict__.get("code")
        if not isinstance(code, str):
            continue
        value.TYPE = code
        value.STATUS = int(getattr(value, "status_code", 400))
        default = (
            str(getattr(value, "message", code)) if isinstance(getattr(value, "message", None), str) else code
        )

        def __init__(
            self: Any, message: str | None = None, *_: Any, _default: str = default, **__: Any
        ) -> None:
            AWSError.__init__(self, message or _default)

        value.__init__ = __init__


def _fix_execution_names() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    def start_execution(
        self: Any, state_machine_arn: str, name: str | None = None, *args: Any, **kwargs: Any
    ):
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    StepFunctionsParserBackend.start_execution = start_execution


def _fix_task_tokens() -> None:
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback_module,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    def task_closed() -> AWSError:
        return AWSError(TASK_CLOSED_MESSAGE, "TaskTimedOut")

    def invalid_token() -> AWSError:
        return AWSError("Invalid Token: 'Invalid token'", "InvalidToken")

    # An endpoint is closed as soon as its task stops waiting, whatever the reason.
    original_interrupt = CallbackEndpoint.interrupt_all

    def interrupt_all(self: Any) -> None:
        self.closed = True
        original_interrupt(self)

    CallbackEndpoint.interrupt_all = interrupt_all

    callback_state = callback_module.StateTaskServiceCallback
    original_eval_body = callback_state._eval_body

    def _eval_body(self: Any, env: Any) -> None:
        try:
            original_eval_body(self, env)
        finally:
            # A task that failed before it started waiting (e.g. its Lambda call failed) still issued a token.
            token = (env.states.context_object.context_object_data.get("Task") or {}).get("Token")
            endpoint = env.callback_pool_manager.get(token) if token else None
            if endpoint is not None:
                endpoint.closed = True

    callback_state._eval_body = _eval_body

    def find_endpoint(backend: Any, token: str) -> Any:
        for state_machine in backend.state_machines:
            for execution in state_machine.executions:
                worker = getattr(execution, "exec_worker", None)
                env = getattr(worker, "env", None)
                endpoint = env.callback_pool_manager.get(token) if env is not None else None
                if endpoint is not None:
                    running = execution.exec_status is not None and execution.status == "RUNNING"
                    return endpoint, running
        return None, False

    def open_endpoint(backend: Any, token: str) -> Any:
        endpoint, running = find_endpoint(backend, token)
        if endpoint is None:
            raise invalid_token()
        if getattr(endpoint, "closed", False) or not running:
            raise task_closed()
        return endpoint

    def send_task_success(self: Any, task_token: str, outcome: str) -> None:
        from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeSuccess

        try:
            json.loads(outcome)
        except (TypeError, ValueError):
            raise AWSError("Invalid Output: 'the output is not valid JSON'", "InvalidOutput") from None
        endpoint = open_endpoint(self, task_token)
        endpoint.closed = True  # one outcome per token: a second send is TaskTimedOut, as on AWS
        endpoint.notify(CallbackOutcomeSuccess(callback_id=task_token, output=outcome))

    def send_task_failure(
        self: Any, task_token: str, error: str | None = None, cause: str | None = None
    ) -> Any:
        from moto.stepfunctions.parser.api import SendTaskFailureOutput
        from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeFailure

        endpoint = open_endpoint(self, task_token)
        endpoint.closed = True
        endpoint.notify(CallbackOutcomeFailure(callback_id=task_token, error=error, cause=cause))
        return SendTaskFailureOutput()

    def send_task_heartbeat(self: Any, task_token: str) -> None:
        endpoint = open_endpoint(self, task_token)
        endpoint.notify_heartbeat()  # a no-op for tasks without HeartbeatSeconds, accepted like on AWS

    StepFunctionsParserBackend.send_task_success = send_task_success
    StepFunctionsParserBackend.send_task_failure = send_task_failure
    StepFunctionsParserBackend.send_task_heartbeat = send_task_heartbeat


def _fix_send_task_failure_response() -> None:
    from moto.core.responses import EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def send_task_failure(self: Any) -> Any:
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure


def _cache_boto_clients() -> None:
    # Runs right after moto's boto_client module is executed: modules importing `boto_client_for` from it
    # later get this caching version; any that imported it already are rebound too.
    from moto.stepfunctions.parser.asl.utils import boto_client as boto_client_module

    original = boto_client_module.boto_client_for
    cache: dict[tuple[str, str], Any] = {}
    cache_lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        key = (region, service)
        with cache_lock:
            if key not in cache:
                cache[key] = original(region=region, service=service, state_credentials=state_credentials)
            return cache[key]

    for module in list(sys.modules.values()):
        if module is not None and getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = boto_client_for


# --- DynamoDB Streams -------------------------------------------------------------------------------------
STREAM_WAIT_HEADER = "X-Pitchey-Wait-Ms"
MAX_SHARD_ITERATORS = 10_000
_stream_changed = threading.Condition()
_stream_version = 0
_in_update = threading.local()
_in_transaction = threading.local()


def _fix_stream_records() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard

    original_add = StreamShard.add

    def add(self: Any, old: Any, new: Any) -> None:
        global _stream_version
        if getattr(_in_update, "creating", False) and old is None:
            _in_update.creating = False  # the keys-only put UpdateItem makes first: not a record of its own
            return
        if old is not None and new is not None and old.to_json() == new.to_json():
            return  # nothing changed: no record, as on AWS
        pending = getattr(_in_transaction, "records", None)
        if pending is not None:
            pending.append((self, copy.deepcopy(old), copy.deepcopy(new)))
            return
        original_add(self, old, new)
        with _stream_changed:
            _stream_version += 1
            _stream_changed.notify_all()

    StreamShard.add = add

    original_transact = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, *args: Any, **kwargs: Any) -> Any:
        _in_transaction.records = []
        try:
            result = original_transact(self, *args, **kwargs)
            committed = _in_transaction.records
        finally:
            _in_transaction.records = None
        for shard, old, new in committed:
            add(shard, old, new)
        return result

    DynamoDBBackend.transact_write_items = transact_write_items
    original_update = DynamoDBBackend.update_item

    def update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        table = self.get_table(table_name)
        hash_value, range_value = _key_values(table, key)
        _in_update.creating = (
            table.stream_shard is not None and table.get_item(hash_value, range_value) is None
        )
        try:
            return original_update(self, table_name, key, *args, **kwargs)
        finally:
            _in_update.creating = False

    DynamoDBBackend.update_item = update_item


def _json_dynamodb_results() -> None:
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoHandler

    serialized = DynamoHandler.serialized

    def json_result(self: Any, result: Any) -> Any:
        if isinstance(result, ActionResult) and not isinstance(result.result, Exception):
            try:
                body = json.dumps(result.result)
            except TypeError:  # e.g. DescribeTable's datetimes: moto's serializer knows their wire form
                return serialized(self, result)
            return 200, {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}, body
        return serialized(self, result)

    DynamoHandler.serialized = json_result


def _fix_versioned_delete_events() -> None:
    from moto.s3 import notifications
    from moto.s3.models import S3Backend

    original = S3Backend.delete_object
    removed = notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_EVENT
    marker_created = notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT

    def delete_object(
        self: Any, bucket_name: str, key_name: str, version_id: str | None = None, bypass: bool = False
    ) -> Any:
        bucket = self.get_bucket(bucket_name)
        if not bucket.is_versioned:
            return original(self, bucket_name, key_name, version_id=version_id, bypass=bypass)
        versions = list(bucket.keys.getlist(key_name, []))
        deleted, meta = original(self, bucket_name, key_name, version_id=version_id, bypass=bypass)
        if deleted and version_id is None:
            notifications.send_event(self.account_id, marker_created, bucket, bucket.keys[key_name])
        elif deleted and len(versions) > 1:  # moto itself sends the event only when the last version goes
            victim = next((k for k in versions if str(k.version_id) == str(version_id)), None)
            if victim is not None:
                notifications.send_event(self.account_id, removed, bucket, victim)
        return deleted, meta

    S3Backend.delete_object = delete_object


def _add_version_ids() -> None:
    from moto.s3 import notifications
    from moto.s3.models import FakeDeleteMarker

    original = notifications._get_s3_event

    def get_s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> Any:
        if isinstance(key, FakeDeleteMarker):  # a marker has no body: AWS's record has no size or eTag
            event = original(event_name, bucket, key.key, notification_id)
            obj = event["Records"][0]["s3"]["object"]
            obj.pop("size", None)
            obj.pop("eTag", None)
        else:
            event = original(event_name, bucket, key, notification_id)
            obj = event["Records"][0]["s3"]["object"]
        if key.version_id and key.version_id != "null":
            obj["versionId"] = key.version_id
        return event

    notifications._get_s3_event = get_s3_event


def _lambda_entry_of_structured_messages() -> None:
    from moto.sns.exceptions import InvalidParameterValue
    from moto.sns.models import Subscription

    from local.bridge import PREFIX

    original = Subscription._parse_message_structure

    def parse_message_structure(self: Any, message: str, protocol: str) -> str:
        stands_for_lambda = self.protocol == "sqs" and self.endpoint.split(":")[-1].startswith(PREFIX)
        if not stands_for_lambda:
            return original(self, message, protocol)
        try:
            structured = json.loads(message)
            return structured.get("lambda") or structured["default"]
        except (json.JSONDecodeError, AttributeError):
            raise InvalidParameterValue("Message is not valid JSON.") from None
        except KeyError:
            raise InvalidParameterValue("Message does not contain lambda or default keys.") from None

    Subscription._parse_message_structure = parse_message_structure


IDEMPOTENCY_SECONDS = 600


def _idempotent_transactions() -> None:
    from moto.core.responses import ActionResult
    from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.transact_write_items
    committed: dict[str, tuple[str, float]] = {}  # token -> (digest of the items, when)
    running: set[str] = set()
    lock = threading.Lock()

    def refused(code: str, message: str) -> DynamodbException:
        return DynamodbException(ERROR_TYPE_PREFIX + code, message)

    def transact_write_items(self: Any) -> Any:
        token = self.body.get("ClientRequestToken")
        if not token:
            return original(self)
        digest = hashlib.sha256(json.dumps(self.body["TransactItems"], sort_keys=True).encode()).hexdigest()
        now = time.monotonic()
        with lock:
            for old in [t for t, (_, when) in committed.items() if now - when > IDEMPOTENCY_SECONDS]:
                del committed[old]
            if token in running:
                raise refused("TransactionInProgressException", "Transaction is ongoing for the token")
            seen = committed.get(token)
            if seen is not None:
                if seen[0] != digest:
                    raise refused(
                        "IdempotentParameterMismatchException",
                        "Request with the same client token was made with different parameters",
                    )
                return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
            running.add(token)
        try:
            result = original(self)
        except BaseException:
            with lock:
                running.discard(token)
            raise
        with lock:  # one step, so a resend sees either running or committed
            running.discard(token)
            committed[token] = (digest, now)
        return result

    DynamoHandler.transact_write_items = transact_write_items


def _fix_shard_iterators() -> None:
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    original_get_shard_iterator = DynamoDBStreamsBackend.get_shard_iterator
    original_get_records = DynamoDBStreamsBackend.get_records

    def prune(backend: Any) -> None:
        iterators = backend.shard_iterators
        while len(iterators) > MAX_SHARD_ITERATORS:
            iterators.pop(next(iter(iterators)))  # dicts keep insertion order: oldest first

    def get_shard_iterator(self: Any, *args: Any, **kwargs: Any) -> Any:
        iterator = original_get_shard_iterator(self, *args, **kwargs)
        prune(self)
        return iterator

    def get_records(self: Any, iterator_arn: str, limit: int) -> Any:
        iterator = self.shard_iterators.get(iterator_arn)
        if iterator is not None:
            # After a cancelled transaction the table (and its stream) is a restored copy: follow it.
            table = self.dynamodb.tables.get(iterator.stream_shard.table.name)
            if table is not None and table.stream_shard is not None:
                iterator.stream_shard = table.stream_shard
        result = original_get_records(self, iterator_arn, limit)
        prune(self)
        return result

    DynamoDBStreamsBackend.get_shard_iterator = get_shard_iterator
    DynamoDBStreamsBackend.get_records = get_records


def _key_values(table: Any, key: dict[str, Any]) -> tuple[Any, Any]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_value = DynamoType(key[table.hash_key_attr]) if table.hash_key_attr in key else DynamoType(key)
    range_key = table.range_key_attr
    range_value = DynamoType(key[range_key]) if range_key and range_key in key else None
    return hash_value, range_value


def _long_poll_get_records() -> None:
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    original = DynamoDBStreamsHandler.get_records

    def get_records(self: Any) -> Any:
        try:
            wait_ms = min(int(self.headers.get(STREAM_WAIT_HEADER) or 0), 20_000)
        except (TypeError, ValueError):
            wait_ms = 0
        with _stream_changed:
            seen = _stream_version
        result = original(self)
        if wait_ms <= 0 or _has_records(result):
            return result
        with _stream_changed:
            changed = _stream_changed.wait_for(lambda: _stream_version != seen, timeout=wait_ms / 1000)
        return original(self) if changed else result

    DynamoDBStreamsHandler.get_records = get_records


def _has_records(result: Any) -> bool:
    payload = getattr(result, "result", result)
    if isinstance(payload, dict):
        return bool(payload.get("Records"))
    return True  # an answer we do not understand: return it rather than wait
