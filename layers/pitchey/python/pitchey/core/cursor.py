"""Opaque list cursors: base64 of DynamoDB's LastEvaluatedKey plus an HMAC, so clients cannot forge keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from pitchey.core.errors import BadRequest
from pitchey.core.settings import settings


def _key() -> bytes:
    # Derived from the signing secret so there is one secret to rotate; the label keeps the uses apart.
    return hashlib.sha256(b"pitchey-cursor:" + settings().require("jwt_secret").encode()).digest()


def encode_cursor(last_key: dict[str, Any] | None, scope: str = "") -> str | None:
    if not last_key:
        return None
    payload = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(_key(), scope.encode() + b"|" + payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")


def decode_cursor(cursor: str | None, scope: str = "") -> dict[str, Any] | None:
    """`scope` binds a cursor to the list that issued it (e.g. the query and its filters)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        mac, payload = raw[:16], raw[16:]
        expected = hmac.new(_key(), scope.encode() + b"|" + payload, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(mac, expected):
            raise ValueError("bad signature")
        key = json.loads(payload)
        if not isinstance(key, dict):
            raise ValueError("not a key")
        return key
    except (ValueError, TypeError):
        raise BadRequest("Invalid cursor") from None
