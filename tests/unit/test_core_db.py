"""store.transact: named cancellation reasons, and retries when DynamoDB reports a transaction conflict;
the one DynamoDB client every table shares."""

from __future__ import annotations

import threading

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

from pitchey.core import db as store
from pitchey.core.errors import BadRequest, Conflict
from pitchey.pitches.models import Pitch, PitchHistory, PitchLike
from pitchey.users.models import User


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
    real_commit = store.TransactWrite._commit

    def flaky_commit(self):
        attempts.append(self._client_request_token)
        if len(attempts) < 3:
            raise cancelled(None, "TransactionConflict")
        return real_commit(self)

    monkeypatch.setattr(store.TransactWrite, "_commit", flaky_commit)
    monkeypatch.setattr(store.time, "sleep", lambda seconds: None)
    save_pitch()
    store.transact(like_and_count)
    assert len(attempts) == 3 and Pitch.get("p1").like_count == 1
    assert len(set(attempts)) == 3 and all(attempts)  # rebuilt, so each attempt is a new request: a new token


def test_a_condition_failure_is_not_retried_even_beside_a_conflict(aws, monkeypatch):
    attempts = []

    def failing_commit(self):
        attempts.append(1)
        raise cancelled("ConditionalCheckFailed", "TransactionConflict")

    monkeypatch.setattr(store.TransactWrite, "_commit", failing_commit)
    with pytest.raises(store.TransactionCancelled) as refused:
        store.transact(like_and_count)
    assert refused.value.failed == {"like": "ConditionalCheckFailed", "pitch": "TransactionConflict"}
    assert len(attempts) == 1


def in_progress():
    cause = VerboseClientError(
        {"Error": {"Code": "TransactionInProgressException", "Message": "ongoing"}}, "TransactWriteItems"
    )
    return TransactWriteError("Failed to write transaction items", cause)


def test_a_transaction_still_in_progress_is_sent_again_unchanged(aws, monkeypatch):
    """The SDK resent a request after a timeout while DynamoDB still ran the first: the same request again
    (same token, same items) until DynamoDB answers, never a rebuilt one that could apply twice."""
    sent = []
    real_commit = store.TransactWrite._commit

    def busy_commit(self):
        sent.append((self._client_request_token, repr(self._update_items), repr(self._put_items)))
        if len(sent) < 3:
            raise in_progress()
        return real_commit(self)

    monkeypatch.setattr(store.TransactWrite, "_commit", busy_commit)
    monkeypatch.setattr(store.time, "sleep", lambda seconds: None)
    save_pitch()
    store.transact(like_and_count)
    assert len(sent) == 3 and len(set(sent)) == 1
    assert Pitch.get("p1").like_count == 1


def test_conflicts_that_never_clear_give_up(aws, monkeypatch):
    monkeypatch.setattr(
        store.TransactWrite,
        "_commit",
        lambda self: (_ for _ in ()).throw(cancelled("TransactionConflict", None)),
    )
    monkeypatch.setattr(store.time, "sleep", lambda seconds: None)
    with pytest.raises(TransactWriteError):
        store.transact(like_and_count)


def test_other_errors_pass_through(aws, monkeypatch):
    error = TransactWriteError(
        "boom", ClientError({"Error": {"Code": "ValidationException"}}, "TransactWriteItems")
    )
    monkeypatch.setattr(store.TransactWrite, "_commit", lambda self: (_ for _ in ()).throw(error))
    with pytest.raises(TransactWriteError):
        store.transact(like_and_count)


# --- optimistic locking ------------------------------------------------------------------------------------
def versioned_bump(reads: list[int], interfere: int = 0):
    """read → modify → write conditioned on the version read; the first `interfere` attempts lose to a
    write that lands between their read and their write."""

    def attempt() -> int:
        pitch = Pitch.get("p1", consistent_read=True)
        reads.append(pitch.version)
        if len(reads) <= interfere:
            Pitch("p1").update(actions=[Pitch.version.add(1)])  # another request got in first

        def write(transaction):
            actions = [Pitch.title.set(f"v{pitch.version + 1}"), Pitch.version.set(pitch.version + 1)]
            transaction.update("pitch", pitch, actions, condition=Pitch.version == pitch.version)

        store.transact(write)
        return pitch.version + 1

    return attempt


def save_pitch() -> None:
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


def test_optimistic_reruns_read_modify_write_until_it_wins(aws):
    save_pitch()
    reads: list[int] = []
    assert store.optimistic(versioned_bump(reads, interfere=2), item="pitch") == 4
    assert reads == [1, 2, 3] and Pitch.get("p1").title == "v4"


def test_optimistic_gives_up_with_a_clear_409(aws):
    save_pitch()
    reads: list[int] = []
    with pytest.raises(Conflict) as refused:
        store.optimistic(versioned_bump(reads, interfere=99), item="pitch", attempts=3, message="busy")
    assert refused.value.code == "CONCURRENT_UPDATE" and refused.value.message == "busy"
    assert len(reads) == 3


def test_optimistic_leaves_other_refusals_to_the_caller(aws):
    with pytest.raises(store.TransactionCancelled) as refused:
        store.optimistic(lambda: store.transact(like_and_count), item="like")
    assert refused.value.failed == {"pitch": "ConditionalCheckFailed"}


# --- paged queries ------------------------------------------------------------------------------------------
def history(pitch_id: str, count: int) -> None:
    with PitchHistory.batch_write() as batch:
        for n in range(count):
            batch.save(PitchHistory(pitch_id, f"{n:03d}", at="x", actor_id="a" if n % 3 else "b", changes={}))


def pages(page_request: store.PageRequest, **options):
    return store.query_page(
        PitchHistory,
        lambda **paging: PitchHistory.query("p1", scan_index_forward=False, **paging),
        ("pitchId", "sk"),
        page=page_request,
        scope="history|p1",
        **options,
    )


def test_query_page_walks_every_item_once_with_numbered_pages(aws):
    history("p1", 7)
    seen, cursor, numbers = [], None, []
    while True:
        page = pages(store.PageRequest(limit=3, cursor=cursor))
        seen += [entry.sk for entry in page.items]
        numbers.append((page.number, page.limit))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"{n:03d}" for n in range(6, -1, -1)]
    assert numbers == [(1, 3), (2, 3), (3, 3)]
    assert pages(store.PageRequest(limit=7)).next_cursor is None  # an exact fit has no empty last page


def test_query_page_cursors_are_signed_and_bound_to_their_list(aws):
    history("p1", 4)
    cursor = pages(store.PageRequest(limit=2)).next_cursor
    with pytest.raises(BadRequest):
        pages(store.PageRequest(limit=2, cursor=cursor[:-2] + "xx"))
    with pytest.raises(BadRequest):
        store.query_page(
            PitchHistory,
            lambda **paging: PitchHistory.query("p2", **paging),
            ("pitchId", "sk"),
            page=store.PageRequest(limit=2, cursor=cursor),
            scope="history|p2",
        )


def test_a_filtered_query_stops_at_its_read_budget_and_resumes(aws):
    history("p1", 130)  # more than one read chunk (100)

    def only_b(cursor):
        return store.query_page(
            PitchHistory,
            lambda **paging: PitchHistory.query(
                "p1", scan_index_forward=False, filter_condition=PitchHistory.actor_id == "b", **paging
            ),
            ("pitchId", "sk"),
            page=store.PageRequest(limit=100, cursor=cursor),
            scope="history|p1|b",
            filtered=True,
            read_budget=100,
        )

    first = only_b(None)
    assert first.next_cursor is not None and len(first.items) < 100  # short: the budget ran out
    rest = only_b(first.next_cursor)
    assert rest.next_cursor is None and rest.number == 2
    expected = [f"{n:03d}" for n in range(129, -1, -1) if n % 3 == 0]
    assert [entry.sk for entry in first.items + rest.items] == expected


def test_page_map_keeps_the_paging():
    page = store.Page([1, 2], "next", 2, 10)
    assert page.map(str) == store.Page(["1", "2"], "next", 2, 10)


def test_get_many_reads_items_of_several_tables_in_one_round_trip_in_the_order_asked(aws):
    from pitchey.ndas.models import OpenNdaClaim
    from tests.roundtrips import dynamodb_calls
    from tests.unit.accounts import make_user
    from tests.unit.pitches_support import stored_pitch

    pitch = Pitch.get(stored_pitch(make_user(), title="Beside"))
    OpenNdaClaim("k1", nda_id="n1", created_at="2026-01-01T00:00:00Z").save()
    with dynamodb_calls() as calls:
        got = store.get_many(
            (OpenNdaClaim, "k1"), (Pitch, "missing"), (Pitch, pitch.id), (OpenNdaClaim, "k1")
        )
    assert calls == ["BatchGetItem"]
    assert [type(item).__name__ if item else None for item in got] == [
        "OpenNdaClaim",
        None,
        "Pitch",
        "OpenNdaClaim",
    ]
    assert got[0].nda_id == "n1" and got[2].title == "Beside"


def test_get_many_asks_again_for_unprocessed_keys(aws, monkeypatch):
    from pitchey.ndas.models import OpenNdaClaim

    OpenNdaClaim("k1", nda_id="n1", created_at="2026-01-01T00:00:00Z").save()
    client = store._connection().client
    real = client.batch_get_item
    answers = []

    def shedding(RequestItems):
        if not answers:  # the first call processes nothing, as under throttling
            answers.append("shed")
            return {"Responses": {}, "UnprocessedKeys": RequestItems}
        return real(RequestItems=RequestItems)

    monkeypatch.setattr(client, "batch_get_item", shedding)
    assert store.get_many((OpenNdaClaim, "k1"))[0].nda_id == "n1"
    assert answers == ["shed"]


def test_every_table_and_the_store_share_one_dynamodb_client(aws):
    """One client per process (pitchey.core.models): a client and a TCP connection less per table a request
    touches. The tables, the BatchGetItem/TransactWrite connection and a call from another thread all get
    the same one, and it works for each of them."""
    from pitchey.ndas.models import OpenNdaClaim

    clients = {
        "pitches": Pitch._get_connection().connection.client,
        "users": User._get_connection().connection.client,
        "store": store._connection().client,
    }
    from_thread = []
    thread = threading.Thread(
        target=lambda: from_thread.append(PitchLike._get_connection().connection.client)
    )
    thread.start()
    thread.join()
    assert len({id(client) for client in [*clients.values(), *from_thread]}) == 1
    PitchLike("p1", "u1", liked_at="now").save()
    assert PitchLike.get("p1", "u1").liked_at == "now" and User.count() == 0
    OpenNdaClaim("k1", nda_id="n1", created_at="2026-01-01T00:00:00Z").save()
    found, missing = store.get_many((OpenNdaClaim, "k1"), (User, "nobody"))
    assert found is not None and found.nda_id == "n1" and missing is None
