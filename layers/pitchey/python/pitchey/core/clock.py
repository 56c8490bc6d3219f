"""One place for time, so tests can reason about it and every timestamp has the same shape."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def epoch() -> int:
    return int(time.time())


def iso(moment: datetime | None = None) -> str:
    """ISO-8601 UTC with a Z suffix and second precision, as API.md shows."""
    return (moment or now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_precise(moment: datetime | None = None) -> str:
    """Microsecond precision: for sort keys, where two events in one second must keep their order."""
    return (moment or now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
