"""EventBridge schedule expressions (`rate(...)`, `cron(...)` in UTC) and the component that fires them.

The cron dialect is EventBridge's six fields: minutes hours day-of-month month day-of-week year, with
`* ? , - /`, `L` (last day of month / last <weekday> of month), `W` (nearest weekday) and `#` (nth weekday).
Day-of-week runs 1-7 = SUN-SAT as in EventBridge (not 0-6 as in Unix cron).
"""

from __future__ import annotations

import calendar
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from local.procutil import BackgroundLoop

log = logging.getLogger("pitchey-local")

_MONTHS = {
    name: i
    for i, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}
_DAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
_RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_after(self, moment: datetime, anchor: datetime) -> datetime:
        """Rates fire every period from when the rule was created (the runtime's start)."""
        periods = int((moment - anchor).total_seconds() // self.seconds) + 1
        return anchor + timedelta(seconds=periods * self.seconds)


def _parse_set(field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    values: set[int] = set()

    def number(token: str) -> int:
        token = token.upper()
        value = names[token] if names and token in names else int(token)
        if not low <= value <= high:
            raise ValueError(f"{value} outside {low}-{high}")
        return value

    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in {part!r}")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = number(first), number(last)
        else:
            start = number(base)
            end = high if step_text else start
        if start <= end:
            values.update(range(start, end + 1, step))
        else:  # wrap-around ranges such as FRI-MON
            values.update(
                v
                for i, v in enumerate(list(range(start, high + 1)) + list(range(low, end + 1)))
                if i % step == 0
            )
    return frozenset(values)


class Cron:
    def __init__(self, expression: str) -> None:
        fields = expression.split()
        if len(fields) != 6:
            raise ValueError(
                f"cron({expression}) needs 6 fields: minutes hours day-of-month month day-of-week year"
            )
        minutes, hours, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise ValueError(f"cron({expression}): exactly one of day-of-month and day-of-week must be '?'")
        self.minutes = sorted(_parse_set(minutes, 0, 59))
        self.hours = sorted(_parse_set(hours, 0, 23))
        self.months = _parse_set(month, 1, 12, _MONTHS)
        self.years = _parse_set(year, 1970, 2199)
        self.dom_test = self._dom(dom) if dom != "?" else None
        self.dow_test = self._dow(dow) if dow != "?" else None

    @staticmethod
    def _dom(field: str) -> Callable[[datetime], bool]:
        if field == "*":
            return lambda day: True
        if field == "L":
            return lambda day: day.day == calendar.monthrange(day.year, day.month)[1]
        match = re.fullmatch(r"(\d+)W", field)
        if match:
            target = int(match.group(1))

            def nearest_weekday(day: datetime) -> bool:
                last = calendar.monthrange(day.year, day.month)[1]
                wanted = min(target, last)
                weekday = calendar.weekday(day.year, day.month, wanted)
                if weekday == 5:  # Saturday -> Friday, unless that leaves the month
                    wanted = wanted - 1 if wanted > 1 else wanted + 2
                elif weekday == 6:  # Sunday -> Monday, unless that leaves the month
                    wanted = wanted + 1 if wanted < last else wanted - 2
                return day.day == wanted

            return nearest_weekday
        days = _parse_set(field, 1, 31)
        return lambda day: day.day in days

    @staticmethod
    def _dow(field: str) -> Callable[[datetime], bool]:
        def aws_weekday(day: datetime) -> int:
            return (day.weekday() + 1) % 7 + 1  # Monday=0 in Python -> 2 in EventBridge; Sunday -> 1

        if field == "*":
            return lambda day: True
        match = re.fullmatch(r"(\w+)L", field.upper())
        if match or field.upper() == "L":
            weekday = _DAYS.get(match.group(1)) if match else 7
            if weekday is None:
                weekday = int(match.group(1))  # type: ignore[union-attr]
            return lambda day: (
                aws_weekday(day) == weekday and day.day + 7 > calendar.monthrange(day.year, day.month)[1]
            )
        match = re.fullmatch(r"(\w+)#([1-5])", field.upper())
        if match:
            weekday = _DAYS.get(match.group(1)) or int(match.group(1))
            nth = int(match.group(2))
            return lambda day: aws_weekday(day) == weekday and (day.day - 1) // 7 + 1 == nth
        days = _parse_set(field, 1, 7, _DAYS)
        return lambda day: aws_weekday(day) in days

    def _day_matches(self, day: datetime) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        test = self.dom_test or self.dow_test
        assert test is not None
        return test(day)

    def next_after(self, moment: datetime, anchor: datetime | None = None) -> datetime:
        start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(366 * 30):
            if self._day_matches(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        raise ValueError("cron expression never fires again")


def parse_expression(expression: str) -> Rate | Cron:
    match = re.fullmatch(r"\s*rate\(\s*(\d+)\s+([a-z]+)\s*\)\s*", expression)
    if match:
        value, unit = int(match.group(1)), match.group(2)
        if unit not in _RATE_UNITS or value < 1:
            raise ValueError(f"bad schedule expression {expression!r}")
        return Rate(value * _RATE_UNITS[unit])
    match = re.fullmatch(r"\s*cron\((.*)\)\s*", expression)
    if match:
        return Cron(match.group(1))
    raise ValueError(f"bad schedule expression {expression!r} (rate(...) or cron(...) expected)")


def scheduled_event(rule_arn: str, region: str, account: str, when: datetime) -> dict[str, Any]:
    """The payload EventBridge sends a scheduled rule's target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


class Scheduler(BackgroundLoop):
    """Runtime component: fires every enabled schedule on time (in UTC) while the runtime runs."""

    name = "schedules"

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        super().__init__()
        self.history: list[dict[str, Any]] = []  # last firings, newest last (bounded)
        self._lock = threading.Lock()
        self.anchor: datetime | None = None  # when rates start counting; default: the start (tests set it)

    def event_for(self, schedule: Any, when: datetime | None = None) -> Any:
        if schedule.input is not None:
            return schedule.input
        resolver = self.runtime.model.resolver
        return scheduled_event(
            schedule.rule_arn, resolver.region, resolver.account, when or datetime.now(UTC)
        )

    def fire(self, schedule: Any, when: datetime | None = None) -> dict[str, Any]:
        event = self.event_for(schedule, when)
        # EventBridge invokes its targets asynchronously: Lambda's retries and on-failure destination apply.
        invoker = getattr(self.runtime, "destinations", None)
        invoke = invoker.invoke if invoker is not None else self.runtime.functions.invoke
        result = invoke(schedule.function, event)
        record = {
            "schedule": schedule.name,
            "function": schedule.function,
            "firedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            **result.to_dict(),
        }
        with self._lock:
            self.history = [*self.history[-99:], record]
        if result.error:
            log.warning("schedule %s -> %s failed: %s", schedule.name, schedule.function, result.error)
        return record

    def _loop(self) -> None:
        anchor = self.anchor or datetime.now(UTC)
        enabled = [s for s in self.runtime.model.schedules if s.enabled]
        plans = {id(s): parse_expression(s.expression) for s in enabled}
        now = datetime.now(UTC)
        due = {id(s): plans[id(s)].next_after(max(now, anchor), anchor) for s in enabled}
        if not enabled:
            self._stop.wait()
            return
        while not self._stop.is_set():
            upcoming = min(enabled, key=lambda s: due[id(s)])
            wait = (due[id(upcoming)] - datetime.now(UTC)).total_seconds()
            if wait > 0:
                self._stop.wait(min(wait, 30))  # wake regularly so clock jumps are noticed
                continue
            when = due[id(upcoming)]
            due[id(upcoming)] = plans[id(upcoming)].next_after(when, anchor)
            # Like EventBridge, targets run asynchronously: a slow run never delays other schedules.
            threading.Thread(target=self.fire, args=(upcoming, when), daemon=True).start()

    def describe(self) -> list[dict[str, Any]]:
        return [
            {"name": s.name, "function": s.function, "expression": s.expression, "enabled": s.enabled}
            for s in self.runtime.model.schedules
        ]
