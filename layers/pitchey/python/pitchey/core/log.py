"""Structured JSON logs (Powertools Logger). Metrics are loaded only by functions that emit them.

Every record passes `redact` before it is written: logs must never hold an email, a token, a password, an
IP address or a message body (GDPR, and logs are read by more people than the database). Values under a
sensitive key are masked whole; every other string (the message, exception text, stack traces, appended
keys) has emails, JWTs, bearer and refresh tokens, `password=`-style pairs and IPv4/IPv6 addresses
masked. Ids stay: they are what an operator needs to follow a request.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

MASK = "[REDACTED]"

# Compared lower-case without "_" / "-": `refresh_token`, `refreshToken` and `Refresh-Token` alike.
SENSITIVE_KEYS = frozenset(
    {
        "password",
        "currentpassword",
        "newpassword",
        "passwordhash",
        "token",
        "accesstoken",
        "refreshtoken",
        "challengetoken",
        "idempotencykey",
        "authorization",
        "cookie",
        "cookies",
        "setcookie",
        "secret",
        "otpauthuri",
        "backupcodes",
        "body",  # message bodies, request bodies
        "text",  # mail text
        "html",
        "signername",
        "email",
        "to",
        "ip",
        "ipaddress",
        "sourceip",
        "signerip",
    }
)
_SENSITIVE_SUFFIXES = ("password", "token", "secret", "email")

_ASSIGNMENT_KEYS = r"password|passwd|pwd|token|refresh_?token|access_?token|secret|signer_?name|body"


@functools.cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    """What `scrub` masks, compiled on the first string scrubbed: a request that logs nothing (most) does not
    pay for compiling them (~3 ms of a cold start)."""
    return [
        # JWTs (three base64url parts, the header always starts "eyJ")
        (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[REDACTED_JWT]"),
        (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [REDACTED]"),
        # `password=…`, `"token": "…"`, `?token=…` in free text (query strings, reprs)
        (
            re.compile(
                rf"(?i)([\"']?\w*?(?:{_ASSIGNMENT_KEYS})[\"']?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,&;)}}\]]+)"
            ),
            r"\1[REDACTED]",
        ),
        # pydantic errors echo the input: `input_value='…'`
        (re.compile(r"(input_value=)('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\S+)"), r"\1[REDACTED]"),
        # refresh and one-time tokens: `<id>.<token_urlsafe(32)>`
        (re.compile(r"\b[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{40,}"), "[REDACTED_TOKEN]"),
        (
            re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
            "[REDACTED_EMAIL]",
        ),
        (
            re.compile(
                r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])"
            ),
            "[REDACTED_IP]",
        ),
        # IPv6: the full eight groups, or a compressed form (it has "::"); times like 12:00:00 have neither.
        (
            re.compile(
                r"(?<![0-9A-Za-z:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
                r"|(?:[0-9A-Fa-f]{1,4}:){1,7}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?"
                r"|::[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})(?![0-9A-Za-z:])"
            ),
            "[REDACTED_IP]",
        ),
    ]


_MAX_DEPTH = 20


def _sensitive(key: Any) -> bool:
    name = re.sub(r"[^a-z0-9]", "", str(key).lower())
    return name in SENSITIVE_KEYS or name.endswith(_SENSITIVE_SUFFIXES)


def scrub(text: str) -> str:
    """`text` with every pattern above masked."""
    for pattern, replacement in _patterns():
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of `value` (a log record's dict, or anything in it) safe to write."""
    if depth > _MAX_DEPTH:
        return MASK
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {
            key: (MASK if _sensitive(key) and item not in (None, "") else redact(item, depth + 1))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item, depth + 1) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub(str(value))  # anything else is written through str() anyway


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter with `redact` applied to the finished record (message, extra keys,
    appended keys, exception and stack trace alike) just before it is serialised."""

    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]
        return super().serialize(log=redact(log))


logger = Logger(logger_formatter=RedactingFormatter())
