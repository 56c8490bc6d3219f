"""Fixed-window rate limiting on DynamoDB: one atomic ADD per hit, windows expire by TTL."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from pitchey.core import clock
from pitchey.core.config import table_name
from pitchey.core.errors import RateLimited
from pitchey.core.models import TableMeta


class RateLimitCounter(Model):
    class Meta(TableMeta):
        table_name = table_name("RATE_LIMITS_TABLE", "RateLimitsTable")

    key = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    ttl = NumberAttribute(null=True)


def _count(scope: str, identity: str, window_seconds: int) -> tuple[int, int]:
    """One atomic ADD on the current window's counter: (count so far, seconds until the window ends). The
    item lives a little past its window and is then removed by TTL."""
    now = clock.epoch()
    window_start = now - now % window_seconds
    counter = RateLimitCounter(f"{scope}#{identity}#{window_start}")
    counter.update(
        actions=[
            RateLimitCounter.count.add(1),
            RateLimitCounter.ttl.set(window_start + window_seconds + 60),
        ]
    )
    return int(counter.count), window_start + window_seconds - now


def hit(
    scope: str, identity: str, limit: int, window_seconds: int = 60, *, code: str = "RATE_LIMITED"
) -> int:
    """Count one request for `identity` in the current window; raise 429 once `limit` is passed.

    Returns the count so far."""
    count, retry_after = _count(scope, identity, window_seconds)
    if count > limit:
        raise RateLimited("Too many requests, slow down", retry_after=retry_after, code=code)
    return count


def count_in_window(scope: str, identity: str, window_seconds: int) -> int:
    """Count one for (scope, identity) in the current fixed window; returns the count so far. However many
    race, the atomic ADD hands out each number once (1 to the first)."""
    return _count(scope, identity, window_seconds)[0]


def first_in_window(scope: str, identity: str, window_seconds: int) -> bool:
    """True for the first call per (scope, identity) in a fixed window (e.g. one notification a day)."""
    return count_in_window(scope, identity, window_seconds) == 1
