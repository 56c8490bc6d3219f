"""Opaque list cursors: base64 of DynamoDB's LastEvaluatedKey plus an HMAC, so clients cannot forge keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from pitchey.core import keys
from pitchey.core.errors import BadRequest


def _key(secret: str) -> bytes:
    # The link-signing secret serves cursors and unsubscribe links; the label keeps the uses apart.
    return hashlib.sha256(b"pitchey-cursor:" + secret.encode()).digest()


def _mac(secret: str, scope: str, payload: bytes) -> bytes:
    return hmac.new(_key(secret), scope.encode() + b"|" + payload, hashlib.sha256).digest()[:16]


def encode_cursor(last_key: dict[str, Any] | None, scope: str = "") -> str | None:
    if not last_key:
        return None
    payload = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    mac = _mac(keys.current(keys.LINKS), scope, payload)
    return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")


def decode_cursor(cursor: str | None, scope: str = "") -> dict[str, Any] | None:
    """`scope` binds a cursor to the list that issued it (e.g. the query and its filters)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        mac, payload = raw[:16], raw[16:]
        # A cursor issued just before a rotation still pages on (the previous key, while it exists).
        if not any(hmac.compare_digest(mac, _mac(s, scope, payload)) for s in keys.verifying(keys.LINKS)):
            raise ValueError("bad signature")
        key = json.loads(payload)
        if not isinstance(key, dict):
            raise ValueError("not a key")
        return key
    except (ValueError, TypeError):
        raise BadRequest("Invalid cursor") from None
