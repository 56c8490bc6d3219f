"""The log redaction: no email, token, password, IP or message body reaches a log line."""

from __future__ import annotations

import io
import json
import logging

import pytest

from pitchey.core.log import MASK, RedactingFormatter, redact, scrub

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLXZhbHVl"
REFRESH = "3f2a9c1e8b7d4a60." + "Qx7_-" * 9


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("login failed for Bob.Smith+x@Example.test", "Bob.Smith+x@Example.test"),
        (f"token {JWT} rejected", JWT),
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        (f"refresh {REFRESH}", REFRESH),
        ("password=hunter2 and more", "hunter2"),
        ('{"newPassword": "s3cret-Pass"}', "s3cret-Pass"),
        ("GET /api/notifications/unsubscribe?token=tok123&x=1", "tok123"),
        ("from 203.0.113.9 via proxy", "203.0.113.9"),
        ("client 2001:db8:85a3::8a2e:370:7334 connected", "2001:db8:85a3::8a2e:370:7334"),
        ("client fe80:0:0:0:202:b3ff:fe1e:8329 connected", "fe80:0:0:0:202:b3ff:fe1e:8329"),
        ("loopback ::1 here", "::1"),
        ("1 validation error input_value='Dear creator, my secret plan'", "my secret plan"),
    ],
)
def test_scrub_masks_secrets_in_free_text(text, secret):
    assert secret not in scrub(text)


@pytest.mark.parametrize(
    "text",
    ["at 2026-01-31T12:00:00Z", "version 0.1.0", "route POST /api/ndas/{id}/sign", "pitch 01HZX4 created"],
)
def test_scrub_leaves_ordinary_text_alone(text):
    assert scrub(text) == text


def test_sensitive_keys_are_masked_at_any_depth_and_ids_stay():
    record = {
        "user_id": "u-1",
        "code": "NOT_FOUND",
        "ctx": {"refresh_token": "x", "Password": "p", "items": [{"signerName": "Bob", "body": "hi"}]},
        "ipAddress": "10.0.0.1",
        "email": "a@b.test",
        "empty": None,
    }
    assert redact(record) == {
        "user_id": "u-1",
        "code": "NOT_FOUND",
        "ctx": {"refresh_token": MASK, "Password": MASK, "items": [{"signerName": MASK, "body": MASK}]},
        "ipAddress": MASK,
        "email": MASK,
        "empty": None,
    }


def test_the_formatter_redacts_message_extras_and_exceptions():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter())
    log = logging.getLogger("test_core_log")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("login of a@b.test from 198.51.100.7", extra={"token": JWT, "pitch_id": "p1"})
        try:
            raise ValueError(f"bad token {JWT} of c@d.test")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    text = stream.getvalue()
    for secret in ("a@b.test", "c@d.test", "198.51.100.7", JWT):
        assert secret not in text
    assert lines[0]["pitch_id"] == "p1" and lines[0]["token"] == MASK
    assert "ValueError" in lines[1]["exception"]


def test_the_application_logger_uses_the_redacting_formatter():
    from pitchey.core.log import logger

    assert all(isinstance(h.formatter, RedactingFormatter) for h in logger.handlers)
