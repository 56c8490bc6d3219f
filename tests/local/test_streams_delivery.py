"""How a stream poller delivers batches (retries, bisection, partial batch responses, filters), with fake
functions and hand-made records: no moto, no workers."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from local.model import AppModel, TemplateError
from local.streams import StreamMapping, StreamPoller, lambda_record, matches_filters, stream_mappings
from tests.local.triggers_support import HandlerError, fake_runtime

FIXTURE = Path(__file__).parent / "fixtures" / "triggers" / "template.yaml"


def record(sequence: int, key: str, **image: Any) -> dict[str, Any]:
    new_image = {"id": {"S": key}, **{name: {"S": str(value)} for name, value in image.items()}}
    return {
        "eventID": f"e{sequence}",
        "eventName": "INSERT",
        "dynamodb": {"Keys": {"id": {"S": key}}, "NewImage": new_image, "SequenceNumber": str(sequence)},
    }


def keys(event: dict[str, Any]) -> list[str]:
    return [r["dynamodb"]["Keys"]["id"]["S"] for r in event["Records"]]


def poller(handler: Any, **mapping: Any) -> tuple[StreamPoller, list[list[str]]]:
    delivered: list[list[str]] = []

    def function(event: dict[str, Any]) -> Any:
        delivered.append(keys(event))
        return handler(event)

    runtime = fake_runtime({"Fn": function})
    options = {"function": "Fn", "event_name": "Stream", "table": "T", **mapping}
    stream_poller = StreamPoller(runtime, StreamMapping(**options), threading.Event())
    return stream_poller, delivered


def instant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("local.streams.RETRY_BACKOFF_START", 0.0)


def test_batches_of_batch_size_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    stream_poller, delivered = poller(lambda event: None, batch_size=2)
    stream_poller._deliver_all([record(i, f"k{i}") for i in range(5)])
    assert delivered == [["k0", "k1"], ["k2", "k3"], ["k4"]]
    assert stream_poller.stats.records == 5 and stream_poller.stats.last_sequence_number == "4"


def test_failing_batch_is_retried_then_dropped_after_max_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    instant(monkeypatch)

    def always_fail(event: dict[str, Any]) -> None:
        raise HandlerError("Boom", "no")

    stream_poller, delivered = poller(always_fail, max_retry_attempts=2)
    stream_poller._deliver_all([record(1, "a"), record(2, "b")])
    assert delivered == [["a", "b"]] * 3  # first attempt + 2 retries
    (dropped,) = stream_poller.stats.dropped
    assert dropped["attempts"] == 3 and dropped["records"] == 2 and dropped["reason"] == "Boom: no"
    assert dropped["condition"] == "RetryAttemptsExhausted" and dropped["destination"] is None
    assert (dropped["firstSequenceNumber"], dropped["lastSequenceNumber"]) == ("1", "2")


def test_retry_succeeds_without_dropping(monkeypatch: pytest.MonkeyPatch) -> None:
    instant(monkeypatch)
    failures = iter([True, True, False])

    def flaky(event: dict[str, Any]) -> None:
        if next(failures):
            raise HandlerError("Transient", "again")

    stream_poller, delivered = poller(flaky, max_retry_attempts=-1)
    stream_poller._deliver_all([record(1, "a")])
    assert delivered == [["a"]] * 3 and stream_poller.stats.dropped == [] and stream_poller.stats.retries == 2


def test_records_older_than_maximum_record_age_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    instant(monkeypatch)

    def always_fail(event: dict[str, Any]) -> None:
        raise HandlerError("Boom", "no")

    stream_poller, delivered = poller(always_fail, max_retry_attempts=-1, max_record_age=60)
    old = record(1, "a")
    old["dynamodb"]["ApproximateCreationDateTime"] = int(time.time()) - 61
    stream_poller._deliver_all([old])
    assert delivered == [["a"]]  # no retry: already too old
    assert stream_poller.stats.dropped[0]["condition"] == "RecordAgeExceeded"


def test_bisect_isolates_the_failing_record(monkeypatch: pytest.MonkeyPatch) -> None:
    instant(monkeypatch)

    def poison(event: dict[str, Any]) -> None:
        if "c" in keys(event):
            raise HandlerError("Poison", "c")

    stream_poller, delivered = poller(poison, bisect=True, max_retry_attempts=1)
    stream_poller._deliver_all([record(i, k) for i, k in enumerate("abcd", 1)])
    assert delivered == [["a", "b", "c", "d"], ["a", "b"], ["c", "d"], ["c"], ["c"], ["d"]]
    (dropped,) = stream_poller.stats.dropped
    assert dropped["records"] == 1 and dropped["firstSequenceNumber"] == "3" and dropped["attempts"] == 2


def test_partial_batch_response_retries_from_the_first_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    instant(monkeypatch)
    calls = {"n": 0}

    def partial(event: dict[str, Any]) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 1:  # b and d fail the first time: retry starts at b
            return {"batchItemFailures": [{"itemIdentifier": "4"}, {"itemIdentifier": "2"}]}
        return {"batchItemFailures": []}

    stream_poller, delivered = poller(partial, report_item_failures=True)
    stream_poller._deliver_all([record(i, k) for i, k in enumerate("abcd", 1)])
    assert delivered == [["a", "b", "c", "d"], ["b", "c", "d"]]
    assert stream_poller.stats.records == 4


def test_partial_batch_response_is_ignored_without_report_batch_item_failures() -> None:
    stream_poller, delivered = poller(lambda event: {"batchItemFailures": [{"itemIdentifier": "1"}]})
    stream_poller._deliver_all([record(1, "a")])
    assert delivered == [["a"]]


def test_invalid_item_identifier_fails_the_whole_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    instant(monkeypatch)
    stream_poller, delivered = poller(
        lambda event: {"batchItemFailures": [{"itemIdentifier": "999"}]},
        report_item_failures=True,
        max_retry_attempts=1,
    )
    stream_poller._deliver_all([record(1, "a"), record(2, "b")])
    assert delivered == [["a", "b"], ["a", "b"]]
    assert "invalid batchItemFailures" in stream_poller.stats.dropped[0]["reason"]


def test_filters_select_records_before_batching() -> None:
    stream_poller, delivered = poller(
        lambda event: None, filters=[{"dynamodb": {"NewImage": {"kind": {"S": ["keep"]}}}}]
    )
    stream_poller._deliver_all(
        [record(1, "a", kind="keep"), record(2, "b", kind="drop"), record(3, "c", kind="keep")]
    )
    assert delivered == [["a", "c"]] and stream_poller.stats.filtered == 1


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventName": ["INSERT"]}, True),
        ({"eventName": ["MODIFY", "REMOVE"]}, False),
        ({"dynamodb": {"NewImage": {"type": {"S": [{"prefix": "nda_"}]}}}}, True),
        ({"dynamodb": {"NewImage": {"type": {"S": [{"anything-but": ["nda_request"]}]}}}}, False),
        ({"dynamodb": {"NewImage": {"read": [{"exists": False}]}}}, True),
        ({"dynamodb": {"NewImage": {"type": [{"exists": True}]}}}, True),
        ({"dynamodb": {"NewImage": {"amount": {"N": [{"numeric": [">", 10, "<=", 20]}]}}}}, True),
        ({"dynamodb": {"NewImage": {"amount": {"N": [{"numeric": [">", 20]}]}}}}, False),
    ],
)
def test_filter_patterns(pattern: dict[str, Any], expected: bool) -> None:
    candidate = {
        "eventName": "INSERT",
        "dynamodb": {"NewImage": {"type": {"S": "nda_request"}, "amount": {"N": "15"}}},
    }
    assert matches_filters([pattern], candidate) is expected
    assert matches_filters([], candidate) is True
    assert (
        matches_filters([{"eventName": ["REMOVE"]}, pattern], candidate) is expected
    )  # any filter may match


def test_lambda_record_shape() -> None:
    from datetime import UTC, datetime

    moto_record = {
        "eventID": "x",
        "eventName": "MODIFY",
        "eventVersion": "1.0",
        "awsRegion": "us-east-1",
        "dynamodb": {"ApproximateCreationDateTime": datetime(2026, 1, 1, tzinfo=UTC), "SequenceNumber": "7"},
    }
    shaped = lambda_record(moto_record, "eu-west-1", "arn:stream")
    assert shaped["eventVersion"] == "1.1" and shaped["awsRegion"] == "eu-west-1"
    assert shaped["eventSource"] == "aws:dynamodb" and shaped["eventSourceARN"] == "arn:stream"
    assert shaped["dynamodb"]["ApproximateCreationDateTime"] == 1767225600


def test_mappings_from_the_template() -> None:
    model = AppModel.load(FIXTURE, {})
    model.resolve_all()
    mappings = {m.function: m for m in stream_mappings(model)}
    assert set(mappings) == {
        "NotifyFunction",
        "ImagesFunction",
        "RetryFunction",
        "PartialFunction",
        "BisectFunction",
    }
    notify = mappings["NotifyFunction"]
    assert (notify.table, notify.batch_size, notify.max_retry_attempts) == ("NotificationsTable", 25, 3)
    assert notify.filters == [{"eventName": ["INSERT"]}]
    assert mappings["ImagesFunction"].starting_position == "TRIM_HORIZON"
    assert (
        mappings["PartialFunction"].report_item_failures and mappings["PartialFunction"].batching_window == 1
    )
    assert mappings["BisectFunction"].bisect and not mappings["RetryFunction"].bisect
    assert mappings["RetryFunction"].on_failure == "arn:aws:sqs:us-east-1:123456789012:RetryFailureQueue"


def test_stream_of_a_table_without_stream_is_a_template_error(tmp_path: Path) -> None:
    text = FIXTURE.read_text().replace(
        "Stream: !GetAtt RetryTable.StreamArn", "Stream: !GetAtt RecorderTable.StreamArn"
    )
    broken = tmp_path / "template.yaml"
    broken.write_text(text)
    model = AppModel.load(broken, {})
    model.resolve_all()
    with pytest.raises(TemplateError, match="RecorderTable has no StreamSpecification"):
        stream_mappings(model)
