"""store.transact: named cancellation reasons, and retries when DynamoDB reports a transaction conflict."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

from pitchey.core import db as store
from pitchey.pitches.models import Pitch, PitchLike


def cancelled(*codes):
    reasons = [CancellationReason(code=code) if code else None for code in codes]
    cause = VerboseClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
        "TransactWriteItems",
        cancellation_reasons=reasons,
    )
    return TransactWriteError("Failed to write transaction items", cause)


def like_and_count(transaction):
    # Called with the put second and the update first: PynamoDB still sends puts before updates.
    transaction.update("pitch", Pitch("p1"), [Pitch.like_count.add(1)], condition=Pitch.id.exists())
    transaction.put(
        "like", PitchLike("p1", "u1", liked_at="now"), condition=PitchLike.user_id.does_not_exist()
    )


def test_failed_conditions_are_reported_by_name(aws):
    with pytest.raises(store.TransactionCancelled) as refused:
        store.transact(like_and_count)  # the pitch does not exist
    assert refused.value.failed == {"pitch": "ConditionalCheckFailed"}
    assert list(PitchLike.query("p1")) == []


def test_transaction_conflicts_are_retried(aws, monkeypatch):
    attempts = []
    real_exit = store.TransactWrite.__exit__

    def flaky_exit(self, *exc):
        attempts.append(1)
        if len(attempts) < 3:
            raise cancelled(None, "TransactionConflict")
        return real_exit(self, *exc)

    monkeypatch.setattr(store.TransactWrite, "__exit__", flaky_exit)
    monkeypatch.setattr(store.time, "sleep", lambda seconds: None)
    Pitch(
        "p1",
        creator_id="c",
        title="t",
        logline="l",
        genre="drama",
        format="tv",
        created_at="x",
        updated_at="x",
    ).save()
    store.transact(like_and_count)
    assert len(attempts) == 3 and Pitch.get("p1").like_count == 1


def test_a_condition_failure_is_not_retried_even_beside_a_conflict(aws, monkeypatch):
    attempts = []

    def failing_exit(self, *exc):
        attempts.append(1)
        raise cancelled("ConditionalCheckFailed", "TransactionConflict")

    monkeypatch.setattr(store.TransactWrite, "__exit__", failing_exit)
    with pytest.raises(store.TransactionCancelled) as refused:
        store.transact(like_and_count)
    assert refused.value.failed == {"like": "ConditionalCheckFailed", "pitch": "TransactionConflict"}
    assert len(attempts) == 1


def test_conflicts_that_never_clear_give_up(aws, monkeypatch):
    monkeypatch.setattr(
        store.TransactWrite,
        "__exit__",
        lambda self, *exc: (_ for _ in ()).throw(cancelled("TransactionConflict", None)),
    )
    monkeypatch.setattr(store.time, "sleep", lambda seconds: None)
    with pytest.raises(TransactWriteError):
        store.transact(like_and_count)


def test_other_errors_pass_through(aws, monkeypatch):
    error = TransactWriteError(
        "boom", ClientError({"Error": {"Code": "ValidationException"}}, "TransactWriteItems")
    )
    monkeypatch.setattr(store.TransactWrite, "__exit__", lambda self, *exc: (_ for _ in ()).throw(error))
    with pytest.raises(TransactWriteError):
        store.transact(like_and_count)
