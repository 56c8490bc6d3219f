"""EventBridge schedule expressions (UTC) and the scheduler firing on time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from local.model import Schedule
from local.schedules import Cron, Rate, Scheduler, parse_expression


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0 3 * * ? *)", "2026-01-01T02:59", "2026-01-01T03:00"),
        ("cron(0 3 * * ? *)", "2026-01-01T03:00", "2026-01-02T03:00"),  # strictly after
        ("cron(*/15 * * * ? *)", "2026-01-01T10:07", "2026-01-01T10:15"),
        ("cron(0 9 ? * MON-FRI *)", "2026-01-02T10:00", "2026-01-05T09:00"),  # Fri 10:00 -> Mon
        ("cron(0 12 ? * 1 *)", "2026-01-01T00:00", "2026-01-04T12:00"),  # 1 = Sunday in EventBridge
        ("cron(0 0 L * ? *)", "2026-02-10T00:00", "2026-02-28T00:00"),  # last day of month
        ("cron(0 0 ? * 6L *)", "2026-01-01T00:00", "2026-01-30T00:00"),  # last Friday
        ("cron(0 0 ? * 2#1 *)", "2026-01-06T00:00", "2026-02-02T00:00"),  # first Monday
        ("cron(0 0 15W * ? *)", "2026-08-01T00:00", "2026-08-14T00:00"),  # 15th is a Saturday -> Friday
        ("cron(30 8 1 JAN,JUL ? 2027)", "2026-03-01T00:00", "2027-01-01T08:30"),
        ("cron(5,10 22-23 * * ? *)", "2026-01-01T22:06", "2026-01-01T22:10"),
    ],
)
def test_cron_next_fire(expression: str, after: str, expected: str) -> None:
    plan = parse_expression(expression)
    assert isinstance(plan, Cron)
    assert plan.next_after(at(after)) == at(expected)


def test_rate_counts_from_the_anchor() -> None:
    plan = parse_expression("rate(5 minutes)")
    assert plan == Rate(300)
    anchor = at("2026-01-01T00:00")
    assert plan.next_after(anchor, anchor) == at("2026-01-01T00:05")
    assert plan.next_after(at("2026-01-01T00:12"), anchor) == at("2026-01-01T00:15")
    assert parse_expression("rate(1 hour)") == Rate(3600)
    assert parse_expression("rate(2 days)") == Rate(172800)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(0 minutes)",
        "rate(5 weeks)",
        "cron(0 3 * * *)",
        "cron(0 3 * * 1 *)",
        "cron(61 * * * ? *)",
        "every day",
    ],
)
def test_bad_expressions_are_rejected(expression: str) -> None:
    with pytest.raises(ValueError):
        parse_expression(expression)


def test_scheduler_fires_rate_schedules_on_time() -> None:
    fired = threading.Event()
    calls: list[tuple[str, dict]] = []

    def invoke(function: str, event: dict) -> SimpleNamespace:
        calls.append((function, event))
        fired.set()
        return SimpleNamespace(error=None, to_dict=lambda: {"payload": None, "error": None})

    schedule = Schedule(
        "Tick", "TickFunction", "rate(1 minute)", None, True, "arn:aws:events:us-east-1:1:rule/Tick"
    )
    disabled = Schedule("Off", "OffFunction", "rate(1 minute)", None, False, "arn:x")
    runtime = SimpleNamespace(
        model=SimpleNamespace(
            schedules=[schedule, disabled], resolver=SimpleNamespace(region="us-east-1", account="1")
        ),
        functions=SimpleNamespace(invoke=invoke),
    )
    scheduler = Scheduler(runtime)
    scheduler.anchor = datetime.now(UTC) - timedelta(seconds=59.5)  # next firing is half a second away
    scheduler.start()
    try:
        assert fired.wait(3), "the rate schedule did not fire on time"
    finally:
        scheduler.stop()
    function, event = calls[0]
    assert function == "TickFunction"
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"] == ["arn:aws:events:us-east-1:1:rule/Tick"]
    assert all(call[0] != "OffFunction" for call in calls)
