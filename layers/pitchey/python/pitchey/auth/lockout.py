"""Login lockout: 5 failures for one email within a window anchored at the first failure lock it.

Every change is one conditional UpdateItem, so concurrent attempts cannot lose a count or open a second
window. The 6th and later attempts in the window are refused with 429 ACCOUNT_LOCKED, even with the right
password, until the window ends.
"""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, UpdateError

from pitchey.auth.models import LoginFailures
from pitchey.core import clock
from pitchey.core.errors import RateLimited
from pitchey.core.settings import settings

MAX_FAILURES = 5
LOCKED_MESSAGE = "Too many failed login attempts; try again later"


def window_seconds() -> int:
    return settings().login_lockout_seconds


def _key(email: str) -> str:
    return f"login-fail#{email}"


def _is_condition_failure(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def locked_error(retry_after: int) -> RateLimited:
    return RateLimited(LOCKED_MESSAGE, retry_after=retry_after, code="ACCOUNT_LOCKED")


def ensure_not_locked(email: str) -> int:
    """Raises ACCOUNT_LOCKED while `email` is locked; otherwise returns its failures in the live window."""
    now = clock.epoch()
    try:
        failures = LoginFailures.get(_key(email), consistent_read=True)
    except LoginFailures.DoesNotExist:
        return 0
    window_end = int(failures.window_end or 0)
    if window_end <= now:
        return 0
    if failures.count >= MAX_FAILURES:
        raise locked_error(window_end - now)
    return int(failures.count)


def record_failure(email: str) -> tuple[int, int]:
    """Count one failure; returns (failures in the window so far, seconds until the window ends)."""
    window = window_seconds()
    for _ in range(5):
        now = clock.epoch()
        failures = LoginFailures(_key(email))
        try:  # inside a live window: one more
            failures.update(
                actions=[LoginFailures.count.add(1)],
                condition=LoginFailures.window_end > now,
            )
            return int(failures.count), int(failures.window_end) - now
        except UpdateError as error:
            if not _is_condition_failure(error):
                raise
        try:  # no window, or it has passed: this failure opens a new one
            failures.update(
                actions=[
                    LoginFailures.count.set(1),
                    LoginFailures.window_end.set(now + window),
                    LoginFailures.ttl.set(now + window + 60),
                ],
                condition=LoginFailures.key.does_not_exist() | (LoginFailures.window_end <= now),
            )
            return 1, window
        except UpdateError as error:
            if not _is_condition_failure(error):
                raise
        # Another attempt opened the window between our two writes: count into it.
    raise RuntimeError("login failure counter kept changing under us")


def clear(email: str) -> None:
    """A successful login forgets earlier failures, unless they have already locked the email."""
    try:
        LoginFailures(_key(email)).delete(condition=LoginFailures.count < MAX_FAILURES)
    except DeleteError as error:
        if not _is_condition_failure(error):
            raise
