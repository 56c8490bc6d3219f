"""Login lockout: 5 failed attempts for one email within a window anchored at the first lock it.

Each attempt reserves its place in the window with one conditional UpdateItem before the password is
checked (reserve, then verify), so parallel guesses cannot get more than 5 checks, lose a count or open a
second window. A right password forgets the window; once 5 attempts have failed, the 6th and later are
refused with 429 ACCOUNT_LOCKED, even with the right password, until the window ends.
"""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

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


def reserve(email: str) -> tuple[int, int]:
    """Counts this attempt *before* its password is checked; returns (attempts in the window so far,
    seconds until the window ends). Raises ACCOUNT_LOCKED when the window already holds MAX_FAILURES.

    The counter moves by one conditional ADD (`count < MAX_FAILURES` inside a live window), so however many
    requests arrive at once, at most MAX_FAILURES of them get a password check per window."""
    window = window_seconds()
    for _ in range(5):
        now = clock.epoch()
        attempts = LoginFailures(_key(email))
        try:  # inside a live window with room left: one more
            attempts.update(
                actions=[LoginFailures.count.add(1)],
                condition=(LoginFailures.window_end > now) & (LoginFailures.count < MAX_FAILURES),
            )
            return int(attempts.count), int(attempts.window_end) - now
        except UpdateError as error:
            if not _is_condition_failure(error):
                raise
        try:  # no window, or it has passed: this attempt opens a new one
            attempts.update(
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
        try:  # neither: a full live window, or another attempt opened one between our writes
            current = LoginFailures.get(_key(email), consistent_read=True)
        except LoginFailures.DoesNotExist:
            continue  # cleared meanwhile
        if int(current.window_end or 0) > now and current.count >= MAX_FAILURES:
            raise locked_error(int(current.window_end) - now)
    raise RuntimeError("login attempt counter kept changing under us")


def clear(email: str) -> None:
    """The right password (checked under a reservation) forgets the window's attempts."""
    LoginFailures(_key(email)).delete()
