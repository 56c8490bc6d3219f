"""core.workflow: the pure transition table, and the read-model side (start, claim + resume, store the
token, expire, record a failure) on a small lifecycle of its own, with a counter the claims guard."""

from __future__ import annotations

import threading

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from hypothesis import given
from hypothesis import strategies as st
from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from pitchey.core import clock
from pitchey.core import workflow as wf
from pitchey.core.db import Transaction, TransactionCancelled
from pitchey.core.ids import new_id
from pitchey.core.models import TableMeta

OPEN, REVIEWED, DONE, DROPPED, LAPSED = "open", "reviewed", "done", "dropped", "lapsed"
TABLE = wf.Transitions(
    [
        (OPEN, "owner", "review", REVIEWED),
        (OPEN, "owner", "drop", DROPPED),
        (OPEN, wf.SYSTEM, "expire", LAPSED),
        (REVIEWED, "author", "finish", DONE),
        (REVIEWED, wf.SYSTEM, "expire", LAPSED),
        (DONE, "owner", "drop", DROPPED),
    ],
    initial=OPEN,
    terminal={DROPPED, LAPSED},
    subject="a ticket",
)


class Ticket(Model):
    class Meta(TableMeta):
        table_name = "WorkflowTestTickets"

    id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    deadline = UnicodeAttribute(null=True)
    review_token = UnicodeAttribute(null=True, attr_name="reviewToken")
    review = UnicodeAttribute(null=True)
    finish_token = UnicodeAttribute(null=True, attr_name="finishToken")
    finish = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    error = JSONAttribute(null=True)


class Counter(Model):
    class Meta(TableMeta):
        table_name = "WorkflowTestCounters"

    key = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)


FLOW = wf.Workflow(
    TABLE,
    Ticket,
    waits=[
        wf.Wait(OPEN, token=Ticket.review_token, outcome=Ticket.review),
        wf.Wait(REVIEWED, token=Ticket.finish_token, outcome=Ticket.finish),
    ],
    state_machine_arn=lambda: ARN["value"],
    id_key="ticketId",
    deadline=Ticket.deadline,
    failure=Ticket.error,
)
ARN: dict[str, str] = {}


# --- the table -------------------------------------------------------------------------------------------
def test_the_table_answers_who_may_do_what():
    assert TABLE.next(OPEN, "owner", "review") == REVIEWED
    assert TABLE.target(OPEN, "author", "review") is None
    assert TABLE.events(OPEN, "owner") == {"review", "drop"}
    assert TABLE.events(DROPPED, "owner") == frozenset()
    assert TABLE.actors("drop") == {"owner"} and TABLE.actors("expire") == {wf.SYSTEM}
    assert TABLE.states == {OPEN, REVIEWED, DONE, DROPPED, LAPSED}
    with pytest.raises(wf.InvalidTransition) as refused:
        TABLE.next(DONE, "author", "finish")
    assert refused.value.status == 409 and refused.value.code == "INVALID_TRANSITION"
    assert refused.value.message == "Cannot finish a ticket that is done"


def test_a_table_cannot_leave_a_terminal_state_or_branch_on_one_event():
    with pytest.raises(ValueError, match="terminal"):
        wf.Transitions([("a", "x", "go", "b")], initial="c", terminal={"a"})
    with pytest.raises(ValueError, match="two targets"):
        wf.Transitions([("a", "x", "go", "b"), ("a", "x", "go", "c")], initial="a", terminal=set())


EVENTS = st.tuples(
    st.sampled_from(["owner", "author", wf.SYSTEM]), st.sampled_from(["review", "drop", "finish", "expire"])
)


@given(st.lists(EVENTS, max_size=12))
def test_any_sequence_of_events_stays_in_the_table(events):
    """Refused events change nothing; a terminal state is never left; every state is a declared one."""
    state = TABLE.initial
    for actor, event in events:
        target = TABLE.target(state, actor, event)
        if TABLE.is_terminal(state):
            assert target is None
        if target is not None:
            assert event in TABLE.events(state, actor) and actor in TABLE.actors(event)
            state = target
        assert state in TABLE.states


# --- the read model ---------------------------------------------------------------------------------------
@pytest.fixture
def tables(aws):
    for model in (Ticket, Counter):
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    ARN["value"] = boto3.client("stepfunctions").create_state_machine(
        name="workflow-test",
        definition='{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}',
        roleArn="arn:aws:iam::123456789012:role/test",
    )["stateMachineArn"]
    yield
    for model in (Ticket, Counter):
        model.delete_table()


@pytest.fixture
def resumed(monkeypatch) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(wf, "resume", lambda token, outcome: calls.append((token, outcome)) or True)
    return calls


def later(seconds: int = 3600) -> str:
    from datetime import timedelta

    return clock.iso(clock.now() + timedelta(seconds=seconds))


def new_ticket(**fields) -> Ticket:
    ticket = Ticket(new_id(), status=OPEN, deadline=later(), **fields)
    FLOW.start(ticket)
    return ticket


def count_one(limit: int):
    """A side effect the claim guards: at most `limit` reviews, counted in the same transaction."""

    def build(txn: Transaction) -> None:
        txn.update("counter", Counter("reviews"), [Counter.count.add(1)], condition=Counter.count < limit)

    return build


def test_start_writes_the_record_and_its_items_then_starts_the_execution(tables):
    ticket = Ticket("t1", status=OPEN)
    FLOW.start(ticket, extra=lambda txn: txn.put("counter", Counter("c1")))
    assert Ticket.get("t1").status == OPEN and Counter.get("c1").count == 0
    [execution] = boto3.client("stepfunctions").list_executions(stateMachineArn=ARN["value"])["executions"]
    assert execution["name"] == "t1"
    with pytest.raises(TransactionCancelled) as refused:
        FLOW.start(Ticket("t1", status=OPEN))
    assert refused.value.failed == {wf.RECORD: "ConditionalCheckFailed"}


def test_start_undoes_everything_when_the_execution_cannot_start(tables):
    ARN["value"] = "arn:aws:states:us-east-1:123456789012:stateMachine:missing"
    with pytest.raises(wf.WorkflowUnavailable):
        FLOW.start(
            Ticket("t2", status=OPEN),
            extra=lambda txn: txn.put("counter", Counter("c2")),
            undo=lambda txn: txn.delete("counter", Counter("c2")),
        )
    assert FLOW.load("t2") is None
    with pytest.raises(Counter.DoesNotExist):
        Counter.get("c2")


def test_apply_claims_the_edge_and_resumes_the_stored_wait(tables, resumed):
    ticket = new_ticket()
    FLOW.store_token(ticket.id, OPEN, "tok-open")
    assert resumed == []
    assert FLOW.apply(ticket, "owner", "review", actions=[Ticket.note.set("fine")]) == REVIEWED
    assert (ticket.status, ticket.review, ticket.note) == (REVIEWED, REVIEWED, "fine")  # refreshed
    assert resumed == [("tok-open", REVIEWED)]
    with pytest.raises(wf.InvalidTransition, match="Cannot drop a ticket that is reviewed"):
        FLOW.apply(ticket, "owner", "drop")


def test_a_stale_read_loses_with_the_state_it_lost_to(tables, resumed):
    ticket = new_ticket()
    stale = Ticket.get(ticket.id)
    FLOW.apply(ticket, "owner", "drop")
    with pytest.raises(wf.InvalidTransition, match="that is dropped"):
        FLOW.apply(stale, "owner", "review")
    assert Ticket.get(ticket.id).status == DROPPED


def test_a_wait_past_its_deadline_cannot_be_claimed(tables, resumed):
    ticket = new_ticket()
    Ticket(ticket.id).update(actions=[Ticket.deadline.set(later(-1))])
    ticket.refresh()
    with pytest.raises(wf.InvalidTransition, match="that is open"):
        FLOW.apply(ticket, "owner", "review")


def test_racing_claims_never_both_win_and_the_guarded_counter_matches(tables, resumed):
    Counter("reviews").save()
    tickets = [new_ticket() for _ in range(4)]
    outcomes: list[str] = []

    def act(ticket_id: str, event: str) -> None:
        try:
            extra = count_one(3) if event == "review" else None
            outcomes.append(FLOW.apply(Ticket.get(ticket_id), "owner", event, extra=extra))
        except (wf.InvalidTransition, TransactionCancelled) as error:
            outcomes.append(type(error).__name__)

    threads = [
        threading.Thread(target=act, args=(ticket.id, event))
        for ticket in tickets
        for event in ("review", "drop", "review")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = [Ticket.get(ticket.id).status for ticket in tickets]
    # Every ticket left `open` by exactly one edge, unless the counter refused its only review.
    assert outcomes.count(REVIEWED) + outcomes.count(DROPPED) == len(tickets) - statuses.count(OPEN)
    assert Counter.get("reviews").count == statuses.count(REVIEWED) == outcomes.count(REVIEWED) <= 3


def test_a_failed_caller_item_is_named_and_nothing_is_written(tables, resumed):
    Counter("reviews", count=3).save()
    ticket = new_ticket()
    with pytest.raises(TransactionCancelled) as refused:
        FLOW.apply(ticket, "owner", "review", extra=count_one(3))
    assert refused.value.failed == {"counter": "ConditionalCheckFailed"}
    assert Ticket.get(ticket.id).status == OPEN and Ticket.get(ticket.id).review is None


def test_store_token_resumes_a_wait_the_api_claimed_first(tables, resumed):
    ticket = new_ticket()
    FLOW.apply(ticket, "owner", "review")
    assert resumed == []  # no token yet
    FLOW.store_token(ticket.id, OPEN, "late-token")
    assert resumed == [("late-token", REVIEWED)]
    FLOW.apply(ticket, "author", "finish")  # the second wait: its token was never stored
    FLOW.store_token(ticket.id, REVIEWED, "finish-token")
    assert resumed[-1] == ("finish-token", DONE)


def test_expire_takes_the_timeout_edge_once(tables, resumed):
    ticket = new_ticket()
    assert FLOW.expire(ticket.id, OPEN, actions=[Ticket.note.set("lapsed")]) == LAPSED
    assert (Ticket.get(ticket.id).status, Ticket.get(ticket.id).note) == (LAPSED, "lapsed")
    assert FLOW.expire(ticket.id, OPEN) == LAPSED  # a retried step
    with pytest.raises(wf.InvalidTransition):
        FLOW.apply(Ticket.get(ticket.id), "owner", "review")


def test_expire_after_a_claim_reports_the_claimed_outcome(tables, resumed):
    ticket = new_ticket()
    FLOW.apply(ticket, "owner", "review")
    assert FLOW.expire(ticket.id, OPEN) == REVIEWED
    assert Ticket.get(ticket.id).status == REVIEWED
    with pytest.raises(ValueError, match="no timeout"):
        FLOW.expire(ticket.id, DONE)


def test_expire_of_a_record_in_another_state_is_a_permanent_conflict(tables, resumed):
    ticket = new_ticket()
    FLOW.apply(ticket, "owner", "drop")
    with pytest.raises(wf.StateConflict):
        FLOW.expire(ticket.id, REVIEWED)
    with pytest.raises(wf.StateConflict):
        FLOW.expire("missing", OPEN)


def test_record_failure_keeps_the_error_on_the_record(tables):
    ticket = new_ticket()
    FLOW.record_failure({"ticketId": ticket.id, "failure": {"Error": "Boom", "Cause": "x" * 5000}})
    error = Ticket.get(ticket.id).error
    assert error["error"] == "Boom" and len(error["cause"]) == 2000


def test_run_step_names_transient_failures_for_retry():
    throttled = ClientError({"Error": {"Code": "ThrottlingException"}}, "UpdateItem")
    steps = {
        "throttled": lambda event: (_ for _ in ()).throw(UpdateError("x", throttled)),
        "offline": lambda event: (_ for _ in ()).throw(EndpointConnectionError(endpoint_url="http://x")),
        "broken": lambda event: (_ for _ in ()).throw(wf.StateConflict("no")),
        "fine": lambda event: {"ok": event["ticketId"]},
    }
    assert wf.run_step(steps, {"step": "fine", "ticketId": "t"}, "ticketId") == {"ok": "t"}
    for name in ("throttled", "offline"):
        with pytest.raises(wf.TransientError):
            wf.run_step(steps, {"step": name}, "ticketId")
    with pytest.raises(wf.StateConflict):
        wf.run_step(steps, {"step": "broken"}, "ticketId")
    with pytest.raises(ValueError, match="unknown"):
        wf.run_step(steps, {"step": "nope"}, "ticketId")
