"""DynamoDB stream triggers of the fixture application under a real runtime: writes with boto3, what the
consumer functions received read back from RecorderTable."""

from __future__ import annotations

import uuid

import pytest

from tests.local.triggers_support import TriggersApp, triggers_app, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app() -> TriggersApp:
    return triggers_app()


def records_for(app: TriggersApp, key: str) -> list[dict]:
    """Stream records the ImagesFunction received for item `key`, in delivery order."""
    return [
        record
        for batch in app.recorded("images")
        for record in batch["data"]["Records"]
        if record["dynamodb"]["Keys"]["id"]["S"] == key
    ]


def test_insert_modify_remove_with_images_in_lambda_shape(app: TriggersApp) -> None:
    key = uuid.uuid4().hex
    item = {"id": {"S": key}, "title": {"S": "first"}, "n": {"N": "1"}}
    app.dynamodb.put_item(TableName="ImagesTable", Item=item)
    app.dynamodb.update_item(
        TableName="ImagesTable",
        Key={"id": {"S": key}},
        UpdateExpression="SET title = :t",
        ExpressionAttributeValues={":t": {"S": "second"}},
    )
    app.dynamodb.delete_item(TableName="ImagesTable", Key={"id": {"S": key}})
    records = wait_until(lambda: (r := records_for(app, key)) and len(r) >= 3 and r)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = records
    assert insert["eventSource"] == "aws:dynamodb" and insert["eventVersion"] == "1.1"
    assert insert["awsRegion"] == "us-east-1"
    assert insert["eventSourceARN"].startswith(
        "arn:aws:dynamodb:us-east-1:123456789012:table/ImagesTable/stream/"
    )
    assert insert["eventID"]
    stream = insert["dynamodb"]
    assert stream["Keys"] == {"id": {"S": key}} and stream["NewImage"] == item and "OldImage" not in stream
    assert stream["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(stream["ApproximateCreationDateTime"], int) and stream["SizeBytes"] > 0
    assert modify["dynamodb"]["OldImage"]["title"] == {"S": "first"}
    assert modify["dynamodb"]["NewImage"]["title"] == {"S": "second"}
    assert remove["dynamodb"]["OldImage"]["title"] == {"S": "second"} and "NewImage" not in remove["dynamodb"]
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(sequence)


def test_writes_that_change_nothing_and_update_creates_write_one_record(app: TriggersApp) -> None:
    key = uuid.uuid4().hex
    # UpdateItem creating the item: one INSERT (moto wrote two)
    app.dynamodb.update_item(
        TableName="ImagesTable",
        Key={"id": {"S": key}},
        UpdateExpression="ADD hits :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    # the same item again, and a SET to the value it has: no record (moto wrote MODIFYs)
    app.dynamodb.put_item(TableName="ImagesTable", Item={"id": {"S": key}, "hits": {"N": "1"}})
    app.dynamodb.update_item(
        TableName="ImagesTable",
        Key={"id": {"S": key}},
        UpdateExpression="SET hits = :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    marker = uuid.uuid4().hex  # a later write: once it arrived, everything before it has too
    app.dynamodb.put_item(TableName="ImagesTable", Item={"id": {"S": marker}})
    wait_until(lambda: records_for(app, marker))
    records = records_for(app, key)
    assert [r["eventName"] for r in records] == ["INSERT"]
    assert records[0]["dynamodb"]["NewImage"] == {"id": {"S": key}, "hits": {"N": "1"}}


def test_cancelled_transaction_writes_no_record_and_the_stream_goes_on(app: TriggersApp) -> None:
    key, after = uuid.uuid4().hex, uuid.uuid4().hex
    with pytest.raises(app.dynamodb.exceptions.TransactionCanceledException):
        app.dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "ImagesTable", "Item": {"id": {"S": key}}}},
                {
                    "Put": {
                        "TableName": "ImagesTable",
                        "Item": {"id": {"S": after}},
                        "ConditionExpression": "attribute_exists(id)",
                    }
                },
            ]
        )
    app.dynamodb.transact_write_items(
        TransactItems=[{"Put": {"TableName": "ImagesTable", "Item": {"id": {"S": after}}}}]
    )
    assert [r["eventName"] for r in wait_until(lambda: records_for(app, after))] == ["INSERT"]
    assert records_for(app, key) == []


def test_failing_batch_is_retried_not_dropped_and_holds_back_later_records(app: TriggersApp) -> None:
    dropped_before = len(app.streams()["RetryFunction"]["dropped"])
    key, later = uuid.uuid4().hex, uuid.uuid4().hex
    app.dynamodb.put_item(TableName="RetryTable", Item={"id": {"S": key}, "failTimes": {"N": "2"}})
    app.dynamodb.put_item(TableName="RetryTable", Item={"id": {"S": later}})

    def deliveries() -> list[list[str]]:
        return [
            b["data"]["ids"] for b in app.recorded("retry-batches") if {key, later} & set(b["data"]["ids"])
        ]

    def settled() -> bool:
        with_key = [index for index, ids in enumerate(deliveries()) if key in ids]
        return len(with_key) >= 3 and any(later in ids for ids in deliveries()[with_key[2] :])

    wait_until(settled, timeout=10)
    marker = uuid.uuid4().hex  # once this arrived, no further retry of `key` is pending
    app.dynamodb.put_item(TableName="RetryTable", Item={"id": {"S": marker}})
    wait_until(lambda: any(marker in b["data"]["ids"] for b in app.recorded("retry-batches")))
    batches = deliveries()
    with_key = [index for index, ids in enumerate(batches) if key in ids]
    assert len(with_key) == 3  # failed twice, succeeded on the last retry (MaximumRetryAttempts 2)
    # `later` is never delivered on its own before `key` succeeded: a failing batch holds back what follows
    alone = [index for index, ids in enumerate(batches) if later in ids and key not in ids]
    assert all(index > with_key[-1] for index in alone)
    assert len(app.streams()["RetryFunction"]["dropped"]) == dropped_before


def test_batch_out_of_retries_is_dropped_and_reported(app: TriggersApp) -> None:
    before = len(app.streams()["RetryFunction"]["dropped"])
    key, after = uuid.uuid4().hex, uuid.uuid4().hex
    app.dynamodb.put_item(TableName="RetryTable", Item={"id": {"S": key}, "failTimes": {"N": "99"}})
    dropped = wait_until(lambda: len(app.streams()["RetryFunction"]["dropped"]) > before, timeout=10)
    assert dropped
    report = app.streams()["RetryFunction"]["dropped"][-1]
    assert report["attempts"] == 3 and report["records"] == 1  # first try + MaximumRetryAttempts 2
    # the stream moves on past the dropped batch
    app.dynamodb.put_item(TableName="RetryTable", Item={"id": {"S": after}})
    wait_until(lambda: any(after in b["data"]["ids"] for b in app.recorded("retry-batches")))


def test_partial_batch_response_retries_from_the_failed_record(app: TriggersApp) -> None:
    ok_before, failing, ok_after = (uuid.uuid4().hex for _ in range(3))
    with app.dynamodb_batch("PartialTable") as batch:
        batch.put(ok_before)
        batch.put(failing, failFirst=True)
        batch.put(ok_after)

    def deliveries() -> list[list[str]]:
        return [
            [i for i in b["data"]["ids"] if i in (ok_before, failing, ok_after)]
            for b in app.recorded("partial-batches")
            if set(b["data"]["ids"]) & {ok_before, failing, ok_after}
        ]

    wait_until(lambda: len(deliveries()) >= 2, timeout=10)
    first, retry = deliveries()[:2]
    assert first == [ok_before, failing, ok_after]  # one batch (MaximumBatchingWindowInSeconds: 1)
    assert retry == [failing, ok_after]  # from the first reported failure on, as Lambda does


def test_bisect_isolates_a_poison_record(app: TriggersApp) -> None:
    ids = [uuid.uuid4().hex for _ in range(4)]
    with app.dynamodb_batch("BisectTable") as batch:
        for index, key in enumerate(ids):
            batch.put(key, poison=index == 2)

    def accepted() -> set[str]:
        return {i for b in app.recorded("bisect-ok") for i in b["data"]["ids"]}

    wait_until(lambda: {ids[0], ids[1], ids[3]} <= accepted(), timeout=15)
    assert ids[2] not in accepted()
    report = wait_until(lambda: [d for d in app.streams()["BisectFunction"]["dropped"] if d["records"] == 1])
    assert report[-1]["attempts"] == 2  # first try + MaximumRetryAttempts 1, for the poison record alone
