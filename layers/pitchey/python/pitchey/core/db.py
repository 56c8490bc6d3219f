"""The DynamoDB toolkit every context uses: named transactions with conflict retry, optimistic locking,
and paged queries.

Transactions: `transact(build)` calls `build(txn)`, which adds named items (`txn.put/update/delete/check(name,
...)`); a failed condition raises `TransactionCancelled` whose `failed` maps item names to reasons, so the
caller can say *which* rule refused (e.g. "email" → EMAIL_TAKEN).

Optimistic locking: `optimistic(attempt, item=...)` reruns read → modify → conditional write while the
write's version condition on `item` fails (someone else wrote first), then answers 409 CONCURRENT_UPDATE.

Paging: a `PageRequest` (what the client asked for: limit and cursor) goes in, a `Page` (the items, the
next cursor and the page number) comes out. Lists are Query with a limit and a signed cursor; the cursor
carries the key of the last item returned (or, when a filtered query stops on its read budget, the last key
evaluated) and the page number.
"""

from __future__ import annotations

import functools
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.pagination import ResultIterator
from pynamodb.transactions import TransactWrite

from pitchey.core.config import region
from pitchey.core.cursor import decode_cursor, encode_cursor
from pitchey.core.errors import BadRequest, Conflict
from pitchey.core.models import TableMeta

M = TypeVar("M", bound=Model)
T = TypeVar("T")
U = TypeVar("U")

_ATTEMPTS = 5


@functools.cache
def _connection() -> Connection:
    """With the tables' settings, so it shares their client (pitchey.core.models)."""
    return Connection(
        region=region(),
        max_retry_attempts=TableMeta.max_retry_attempts,
        connect_timeout_seconds=TableMeta.connect_timeout_seconds,
        read_timeout_seconds=TableMeta.read_timeout_seconds,
    )


class Transaction:
    """A TransactWrite whose items carry names, so a cancellation says which condition failed.
    (PynamoDB sends condition checks, then deletes, puts and updates, whatever the call order.)"""

    def __init__(self, transaction: TransactWrite) -> None:
        self._transaction = transaction
        self._names: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}

    def check(self, name: str, model: type[Model], hash_key: str, condition: Any) -> None:
        self._transaction.condition_check(model, hash_key, condition=condition)
        self._names["check"].append(name)

    def delete(self, name: str, item: Model, condition: Any = None) -> None:
        self._transaction.delete(item, condition=condition)
        self._names["delete"].append(name)

    def put(self, name: str, item: Model, condition: Any = None) -> None:
        self._transaction.save(item, condition=condition)
        self._names["put"].append(name)

    def update(self, name: str, item: Model, actions: list[Any], condition: Any = None) -> None:
        self._transaction.update(item, actions, condition=condition)
        self._names["update"].append(name)

    def names(self) -> list[str]:
        return [name for kind in ("check", "delete", "put", "update") for name in self._names[kind]]


class TransactionCancelled(Exception):
    """A condition of the transaction failed. `failed`: item name → reason (e.g. ConditionalCheckFailed)."""

    def __init__(self, failed: dict[str, str]) -> None:
        super().__init__(f"transaction cancelled: {failed}")
        self.failed = failed


def transact(build: Callable[[Transaction], None]) -> None:
    """Run a write transaction. Retries while DynamoDB cancels it only because another request was changing
    the same items at that moment (TransactionConflict); a failed condition raises TransactionCancelled.

    Each transaction carries a ClientRequestToken, so the SDK's own retry of a request whose answer was lost
    (applied, then sent again) is answered with success and applied once; without it the resend would run
    the conditions again and report an applied change as refused, or apply it twice."""
    for attempt in range(_ATTEMPTS):
        transaction = TransactWrite(connection=_connection(), client_request_token=uuid.uuid4().hex)
        named = Transaction(transaction)
        build(named)
        try:
            _commit(transaction)
            return
        except TransactWriteError as error:
            reasons = [reason.code if reason else None for reason in (error.cancellation_reasons or [])]
            failed = {name: code for name, code in zip(named.names(), reasons, strict=False) if code}
            if failed and set(failed.values()) != {"TransactionConflict"}:
                raise TransactionCancelled(failed) from None
            conflict = failed or error.cause_response_code == "TransactionConflictException"
            if not conflict or attempt == _ATTEMPTS - 1:
                raise
        time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))


def _commit(transaction: TransactWrite) -> None:
    """Send the transaction. While DynamoDB is still running an earlier send of it (TransactionInProgress:
    the SDK retried after a timeout), wait and send it again unchanged, same token and items, so that it is
    applied at most once; building it anew (a new token) could apply it twice."""
    for attempt in range(_ATTEMPTS):
        try:
            transaction._commit()
            return
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionInProgressException" or attempt == _ATTEMPTS - 1:
                raise
        time.sleep(0.05 * (attempt + 1))


def get_many(*wanted: tuple[type[Model], str]) -> list[Model | None]:
    """Items of one or more tables, each by its hash key, in one strongly consistent BatchGetItem round trip
    (PynamoDB batches one model at a time): the items in the order asked, None where there is none. For a
    request that needs items of two contexts at once, e.g. a pitch and the caller's NDA grant for it."""
    keys = [(model.Meta.table_name, _key_of(model, hash_key)) for model, hash_key in wanted]
    requests: dict[str, dict[str, Any]] = {}
    for table, key in keys:
        asked = requests.setdefault(table, {"Keys": [], "ConsistentRead": True})["Keys"]
        if key not in asked:
            asked.append(key)
    found: list[tuple[str, dict[str, Any]]] = []
    for attempt in range(_ATTEMPTS):
        answer = _connection().client.batch_get_item(RequestItems=requests)
        found += [(table, item) for table, items in answer.get("Responses", {}).items() for item in items]
        requests = answer.get("UnprocessedKeys") or {}
        if not requests:
            break
        time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # DynamoDB is shedding load: back off
    else:
        raise RuntimeError("BatchGetItem left keys unprocessed after retries")
    models = [model for model, _ in wanted]
    return [_item_for(model, table, key, found) for model, (table, key) in zip(models, keys, strict=True)]


def _key_of(model: type[Model], hash_key: str) -> dict[str, Any]:
    attribute = model._hash_key_attribute()
    return {attribute.attr_name: {attribute.attr_type: attribute.serialize(hash_key)}}


def _item_for(
    model: type[Model], table: str, key: dict[str, Any], found: list[tuple[str, dict[str, Any]]]
) -> Model | None:
    ((name, value),) = key.items()
    for answered_table, item in found:
        if answered_table == table and item.get(name) == value:
            return model.from_raw_data(item)
    return None


def optimistic(
    attempt: Callable[[], T],
    *,
    item: str,
    attempts: int = 4,
    message: str = "This is being changed by another request; try again",
) -> T:
    """Optimistic locking. `attempt` reads, modifies and writes with `transact`, its item `item`
    conditioned on the version it read (and moving the version on). When that condition fails another
    request wrote first: read and apply again, at most `attempts` times, then 409 CONCURRENT_UPDATE.
    Any other refused condition is the caller's to handle (TransactionCancelled)."""
    for number in range(attempts):
        try:
            return attempt()
        except TransactionCancelled as cancelled:
            if cancelled.failed.get(item) != "ConditionalCheckFailed":
                raise
        time.sleep(random.uniform(0.0, 0.01) * (number + 1))
    raise Conflict(message, code="CONCURRENT_UPDATE")


class PageRequest(NamedTuple):
    """A request's paging: `?limit=` (already validated) and the opaque `?cursor=`."""

    limit: int
    cursor: str | None = None


@dataclass
class Page(Generic[T]):
    """One page of results: what every list function returns (handlers answer it with `ok_page`)."""

    items: list[T]
    next_cursor: str | None
    number: int
    limit: int

    def map(self, render: Callable[[T], U]) -> Page[U]:
        return Page([render(item) for item in self.items], self.next_cursor, self.number, self.limit)


def cursor_start(cursor: str | None, scope: str) -> tuple[dict[str, Any] | None, int]:
    data = decode_cursor(cursor, scope)
    if data is None:
        return None, 1
    key, number = data.get("k"), data.get("p")
    if not isinstance(key, dict) or not isinstance(number, int) or number < 2:
        raise BadRequest("Invalid cursor")
    return key, number


def query_page(
    model: type[M],
    run_query: Callable[..., ResultIterator[M]],
    key_names: Sequence[str],
    *,
    page: PageRequest,
    scope: str,
    filtered: bool = False,
    read_budget: int = 2000,
) -> Page[M]:
    """One page of `run_query(last_evaluated_key=..., page_size=...)`.

    `key_names`: the attributes that make up an ExclusiveStartKey for this table or index (table key plus
    index key). `filtered`: the query has a FilterExpression, so read in larger chunks and stop after
    `read_budget` evaluated items even if the page is short (its cursor then resumes where reading stopped).
    """
    limit = page.limit
    start, number = cursor_start(page.cursor, scope)
    results = run_query(last_evaluated_key=start, page_size=100 if filtered else limit + 1)
    pages = results.page_iter
    items: list[M] = []
    resume: dict[str, Any] | None = None
    more = False
    for raw_page in pages:
        for raw in raw_page.get("Items", []):
            if len(items) == limit:
                more = True
                break
            items.append(model.from_raw_data(raw))
            resume = {name: raw[name] for name in key_names}
        if more or pages.last_evaluated_key is None:
            break
        if pages.total_scanned_count >= read_budget:
            more, resume = True, pages.last_evaluated_key
            break
    next_cursor = encode_cursor({"k": resume, "p": number + 1}, scope) if more and resume else None
    return Page(items, next_cursor, number, limit)
