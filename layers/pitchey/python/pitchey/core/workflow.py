"""Lifecycles that wait on people and run on Step Functions with task tokens (NDA, investment, ...).

A context declares two things:

1. A pure **transition table** — who may do what, in which state::

       TABLE = Transitions(
           [(PENDING, "creator", "approve", APPROVED),        # (state, actor, event) -> next state
            (PENDING, SYSTEM, "expire", EXPIRED), ...],
           initial=PENDING, terminal={REJECTED, EXPIRED}, subject="an NDA")

   `TABLE.next(state, actor, event)` gives the next state or raises `InvalidTransition` (409
   `INVALID_TRANSITION`); `TABLE.actors(event)` says who may ever do an event (anyone else gets the
   context's 404), `TABLE.events(state, actor)` what an actor may do now. No I/O: test it on its own.

2. A **Workflow** binding the table to the PynamoDB model that is the lifecycle's read model::

       FLOW = Workflow(TABLE, Nda,
                       waits=[Wait(PENDING, token=Nda.decision_task_token, outcome=Nda.decision), ...],
                       state_machine_arn=lambda: setting("NDA_STATE_MACHINE_ARN"),
                       deadline=Nda.expires_at, failure=Nda.workflow_error)

   The model has a string hash key `id` and a `status` attribute; if it defines `status_actions(status)`
   (e.g. to keep `owner#status` index keys in step) that is used to write the status, else `status` alone.
   A `Wait` is a state in which the state machine waits on a task token: `token` is where the token is
   stored, `outcome` where the API's claim (the next state) is written. `deadline` (optional): a claim
   must happen before it (the timeout is about to expire the wait). `failure` (optional): a JSON
   attribute where `record_failure` writes a step's permanent error. `unavailable`: the 503 message when
   an execution cannot be started.

How the pieces run (the read model is always written by one conditional write or one transaction):

- API, new record: `FLOW.start(record, extra=..., undo=...)` writes the record (plus the caller's
  transaction items, e.g. a uniqueness claim) in one transaction, then starts the execution named after
  `record.id` with input `{"<id_key>": id}`. If the start fails, the record and `undo`'s items are deleted
  and `WorkflowUnavailable` (503) is raised so the client can retry.
- API, an actor's event: `FLOW.apply(record, actor, event, actions=..., condition=..., extra=...)` checks
  the table, then claims the edge with one transaction: the record's update (status + the wait's outcome
  + the caller's `actions`, conditioned on the state read, the wait not yet claimed, the deadline and the
  caller's `condition`) plus the caller's `extra(txn)` items (counters, uniqueness). Two racing calls
  cannot both win: the loser gets `InvalidTransition` with the state it lost to. A failure of one of the
  caller's items raises `TransactionCancelled` (core.db) naming it. After the write the wait is resumed
  with `SendTaskSuccess({"outcome": next_state})` using the stored token. `record` is refreshed.
- Step "await" (a `.waitForTaskToken` task): `FLOW.store_token(record_id, state, token)` stores the token;
  if the API claimed the wait before the token existed, it resumes the wait itself.
- Step "expire" (the wait's `States.Timeout` Catch): `FLOW.expire(record_id, state, actions=..., extra=...)`
  takes the table's `(state, SYSTEM, timeout_event)` edge under the same claim rule; if the API claimed the
  wait just before, it returns that outcome instead so the execution carries on with it. Returns the
  outcome for the state machine's Choice.
- Step dispatch: `run_step(steps, event, id_key)` turns throttling/5xx/connection errors into
  `TransientError` (the state machine's Retry matches that name); `StateConflict` and anything else is a
  permanent failure for the Catch, whose target calls `FLOW.record_failure(event)`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.attributes import Attribute
from pynamodb.exceptions import PynamoDBException, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from pitchey.core import clock
from pitchey.core.config import region
from pitchey.core.db import Transaction, TransactionCancelled, transact
from pitchey.core.errors import AppError, Conflict
from pitchey.core.log import logger

M = TypeVar("M", bound=Model)
Build = Callable[[Transaction], None]

SYSTEM = "system"  # the actor of timeouts
RECORD = "record"  # the name of the record's own item in a workflow transaction


class InvalidTransition(Conflict):
    code = "INVALID_TRANSITION"


class WorkflowUnavailable(AppError):
    status, code = 503, "SERVICE_UNAVAILABLE"


class StateConflict(Exception):
    """A step found the record in a state it cannot handle: a permanent failure, recorded and not retried."""


class TransientError(Exception):
    """Worth retrying: the state machines' Retry matches this name."""


# --- the pure table --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Edge:
    source: str
    actor: str
    event: str
    target: str


class Transitions:
    """(state, actor, event) → next state. Terminal states have no way out."""

    def __init__(
        self,
        edges: Iterable[tuple[str, str, str, str]],
        *,
        initial: str,
        terminal: Iterable[str],
        subject: str = "a record",
    ) -> None:
        self.edges = tuple(Edge(*edge) for edge in edges)
        self.initial = initial
        self.terminal = frozenset(terminal)
        self.subject = subject
        self._next: dict[tuple[str, str, str], str] = {}
        for edge in self.edges:
            key = (edge.source, edge.actor, edge.event)
            if key in self._next and self._next[key] != edge.target:
                raise ValueError(f"two targets for {key}")
            if edge.source in self.terminal:
                raise ValueError(f"terminal state {edge.source!r} has an edge out")
            self._next[key] = edge.target
        self.states = frozenset({initial, *self.terminal}).union(
            *({edge.source, edge.target} for edge in self.edges)
        )

    def target(self, state: str, actor: str, event: str) -> str | None:
        return self._next.get((state, actor, event))

    def next(self, state: str, actor: str, event: str) -> str:
        target = self.target(state, actor, event)
        if target is None:
            raise InvalidTransition(f"Cannot {event} {self.subject} that is {state}")
        return target

    def events(self, state: str, actor: str) -> frozenset[str]:
        return frozenset(e.event for e in self.edges if e.source == state and e.actor == actor)

    def actors(self, event: str) -> frozenset[str]:
        return frozenset(e.actor for e in self.edges if e.event == event)

    def is_terminal(self, state: str) -> bool:
        return state in self.terminal


# --- Step Functions --------------------------------------------------------------------------------------
@functools.cache
def _sfn() -> Any:
    import boto3

    return boto3.client("stepfunctions", region_name=region())


def resume(task_token: str, outcome: str) -> bool:
    """Resume a wait with `{"outcome": ...}`. False if the wait is already over: the API and the
    token-storing step may both send (whichever sees the other's write last), or the wait timed out, in
    which case the expiry step reads the claimed outcome and continues from it."""
    client = _sfn()
    try:
        client.send_task_success(taskToken=task_token, output=json.dumps({"outcome": outcome}))
    except (
        client.exceptions.TaskTimedOut,
        client.exceptions.TaskDoesNotExist,
        client.exceptions.InvalidToken,
    ):
        logger.info("wait already resumed or closed", extra={"outcome": outcome})
        return False
    return True


TRANSIENT_CODES = {
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionConflictException",
    "InternalServerError",
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "TooManyRequestsException",
}


def is_transient(error: BaseException) -> bool:
    if isinstance(error, PynamoDBException):
        return error.cause is not None and is_transient(error.cause)
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in TRANSIENT_CODES or status >= 500
    return isinstance(error, BotoCoreError)  # connection errors, timeouts


Step = Callable[[dict[str, Any]], dict[str, Any]]


def run_step(steps: dict[str, Step], event: dict[str, Any], id_key: str) -> dict[str, Any]:
    """Dispatch one state machine step; classify failures so Retry/Catch can tell them apart."""
    step = steps.get(event.get("step", ""))
    if step is None:
        raise ValueError(f"unknown workflow step {event.get('step')!r}")
    logger.append_keys(**{id_key: event.get(id_key), "step": event.get("step")})
    try:
        return step(event)
    except Exception as error:
        if is_transient(error):
            logger.warning("transient failure in workflow step", exc_info=True)
            raise TransientError(f"{type(error).__name__}: {error}") from error
        raise


# --- the read model --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Wait:
    """A state in which the state machine waits on a task token."""

    state: str
    token: Attribute[Any]
    outcome: Attribute[Any]


def _python_name(model: type[Model], attribute: Attribute[Any]) -> str:
    return next(name for name, attr in model.get_attributes().items() if attr is attribute)


class Workflow(Generic[M]):
    def __init__(
        self,
        transitions: Transitions,
        model: type[M],
        *,
        waits: Sequence[Wait],
        state_machine_arn: Callable[[], str],
        id_key: str = "id",
        timeout_event: str = "expire",
        deadline: Attribute[Any] | None = None,
        failure: Attribute[Any] | None = None,
        unavailable: str = "This is unavailable right now, please retry",
    ) -> None:
        self.transitions = transitions
        self.model = model
        self.waits = {wait.state: wait for wait in waits}
        self._arn = state_machine_arn
        self.id_key = id_key
        self.timeout_event = timeout_event
        self.deadline = deadline
        self.failure = failure
        self.unavailable = unavailable
        unknown = set(self.waits) - transitions.states
        if unknown:
            raise ValueError(f"waits in unknown states {unknown}")

    # reads
    def load(self, record_id: str) -> M | None:
        try:
            return self.model.get(record_id, consistent_read=True)
        except self.model.DoesNotExist:
            return None

    def require(self, record_id: str) -> M:
        record = self.load(record_id)
        if record is None:
            raise StateConflict(f"{record_id} does not exist")
        return record

    def claimed(self, record: M, state: str) -> str | None:
        """The outcome the API claimed for the wait in `state`, if any."""
        return getattr(record, _python_name(self.model, self.waits[state].outcome))

    # writes
    def _status_actions(self, record: M, status: str) -> list[Action]:
        status_actions = getattr(record, "status_actions", None)
        return status_actions(status) if status_actions else [self.model.status.set(status)]

    def start(self, record: M, *, extra: Build | None = None, undo: Build | None = None) -> None:
        """Write the new record (+ `extra`) and start its execution, named after the id so a retried start
        cannot run twice. If it cannot start, undo the write (+ `undo`) and raise WorkflowUnavailable."""

        def create(txn: Transaction) -> None:
            txn.put(RECORD, record, condition=self.model.id.does_not_exist())
            if extra:
                extra(txn)

        transact(create)
        client = _sfn()
        try:
            client.start_execution(
                stateMachineArn=self._arn(), name=record.id, input=json.dumps({self.id_key: record.id})
            )
        except client.exceptions.ExecutionAlreadyExists:
            logger.info("workflow already started", extra={self.id_key: record.id})
        except Exception:
            logger.exception("workflow did not start", extra={self.id_key: record.id})

            def remove(txn: Transaction) -> None:
                txn.delete(RECORD, record)
                if undo:
                    undo(txn)

            transact(remove)
            raise WorkflowUnavailable(self.unavailable) from None

    def _take(
        self,
        record: M,
        source: str,
        target: str,
        actions: Sequence[Action],
        condition: Condition | None,
        extra: Build | None,
    ) -> bool:
        """Take the edge source → target: only from `source`, only while its wait is unclaimed, the claim
        itself (the wait's outcome) written with the status; alone (one UpdateItem, which also refreshes
        `record`) or in one transaction with the caller's items. False if the record's condition failed."""
        guard = self.model.status == source
        updates = [*self._status_actions(record, target), *actions]
        wait = self.waits.get(source)
        if wait is not None:
            guard &= wait.outcome.does_not_exist()
            updates.append(wait.outcome.set(target))
        if condition is not None:
            guard &= condition
        if extra is None:
            try:
                record.update(actions=updates, condition=guard)
            except UpdateError as error:
                if error.cause_response_code == "ConditionalCheckFailedException":
                    return False
                raise
            return True

        def build(txn: Transaction) -> None:
            txn.update(RECORD, record, updates, condition=guard)
            extra(txn)

        try:
            transact(build)
        except TransactionCancelled as cancelled:
            if RECORD in cancelled.failed:
                return False
            raise
        record.refresh(consistent_read=True)
        return True

    def apply(
        self,
        record: M,
        actor: str,
        event: str,
        *,
        actions: Sequence[Action] = (),
        condition: Condition | None = None,
        extra: Build | None = None,
    ) -> str:
        """An actor's event: claim the edge from the record's state (as read), then resume the wait."""
        source = record.status
        target = self.transitions.next(source, actor, event)
        if self.deadline is not None and source in self.waits:
            deadline = self.deadline > clock.iso()
            condition = deadline if condition is None else condition & deadline
        if not self._take(record, source, target, actions, condition, extra):
            current = self.load(record.id) or record
            raise InvalidTransition(f"Cannot {event} {self.transitions.subject} that is {current.status}")
        wait = self.waits.get(source)
        if wait is not None:
            token = getattr(record, _python_name(self.model, wait.token))
            if token:
                resume(token, target)
        return target

    def store_token(self, record_id: str, state: str, token: str) -> None:
        """The await step: store the wait's token; if the API claimed the wait first, resume it here."""
        record = self.require(record_id)
        record.update(actions=[self.waits[state].token.set(token)], condition=self.model.id.exists())
        outcome = self.claimed(record, state)  # the item as written
        if outcome:
            resume(token, outcome)

    def expire(
        self, record_id: str, state: str, *, actions: Sequence[Action] = (), extra: Build | None = None
    ) -> str:
        """The wait in `state` timed out: take the timeout edge unless the API claimed the wait just
        before, then return that outcome so the execution continues with it."""
        record = self.require(record_id)
        target = self.transitions.target(state, SYSTEM, self.timeout_event)
        if target is None or state not in self.waits:
            raise ValueError(f"no timeout from {state!r}")
        if self._take(record, state, target, actions, None, extra):
            return target
        current = self.require(record_id)
        outcome = self.claimed(current, state)
        if not outcome:
            raise StateConflict(f"{record_id} is {current.status}: cannot {self.timeout_event}")
        if outcome != target:  # else: a retry of this step after it had already taken the edge
            logger.info("wait timed out after the outcome was claimed", extra={"outcome": outcome})
        return outcome

    def record_failure(self, event: dict[str, Any]) -> dict[str, Any]:
        """Catch-all target: record the error on the record (visible to operators) before the execution
        fails."""
        if self.failure is None:
            raise ValueError("this workflow declares no failure attribute")
        failure = event.get("failure") or {}
        error = {
            "error": str(failure.get("Error", "unknown"))[:200],
            "cause": str(failure.get("Cause", ""))[:2000],
            "at": clock.iso(),
        }
        logger.error("workflow failed", extra={"failure": error})
        try:
            self.model(event[self.id_key]).update(
                actions=[self.failure.set(error)],
                condition=self.model.id.exists(),
            )
        except PynamoDBException:
            logger.exception("could not record the workflow failure")
            raise
        return {}
