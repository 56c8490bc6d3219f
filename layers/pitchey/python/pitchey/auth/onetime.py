"""Single-use account tokens: `<id>.<secret>`, the secret stored only as a SHA-256 hash.

Issued for email verification (24 h), password reset (1 h) and the MFA login challenge (5 min). Reading one
compares the hash in constant time; consuming one is a conditional write (`usedAt` absent, not expired, same
hash), so two racing uses cannot both succeed. Every failure is the same 400 INVALID_TOKEN.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from pitchey.auth.models import AccountToken
from pitchey.core import clock
from pitchey.core.db import Transaction
from pitchey.core.errors import BadRequest
from pitchey.core.ids import new_id

VERIFY_EMAIL = "verify-email"
RESET_PASSWORD = "reset-password"  # noqa: S105 (a purpose, not a secret)
MFA_CHALLENGE = "mfa-challenge"
KEEP_AFTER_EXPIRY = 24 * 3600  # for the audit trail of attempts; DynamoDB TTL deletes it afterwards
_TOKEN = re.compile(r"^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{20,128})$")


def invalid() -> BadRequest:
    return BadRequest("This link or token is invalid, used or expired", code="INVALID_TOKEN")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue(purpose: str, user_id: str, ttl_seconds: int) -> tuple[str, AccountToken]:
    """A new token (not yet saved: the caller saves it, alone or in a transaction)."""
    secret = secrets.token_urlsafe(32)
    expires_at = clock.epoch() + ttl_seconds
    item = AccountToken(
        new_id(),
        purpose=purpose,
        user_id=user_id,
        secret_hash=_hash(secret),
        created_at=clock.iso_precise(),
        expires_at=expires_at,
        ttl=expires_at + KEEP_AFTER_EXPIRY,
    )
    return f"{item.id}.{secret}", item


def read(purpose: str, token: str) -> AccountToken:
    """The live token `token` stands for, or 400 INVALID_TOKEN (unknown, wrong secret, used, expired)."""
    match = _TOKEN.match(token or "")
    if not match:
        raise invalid()
    try:
        item = AccountToken.get(match.group(1), consistent_read=True)
    except AccountToken.DoesNotExist:
        raise invalid() from None
    if not hmac.compare_digest(_hash(match.group(2)), item.secret_hash) or item.purpose != purpose:
        raise invalid()
    if item.used_at is not None or item.expires_at <= clock.epoch():
        raise invalid()
    return item


def consume(transaction: Transaction, item: AccountToken, extra: Any = None) -> None:
    """Marks `item` used inside `transaction` (named "token"): fails if it was used meanwhile or expired
    (or `extra`, a further condition, no longer holds)."""
    condition = (
        AccountToken.used_at.does_not_exist()
        & (AccountToken.secret_hash == item.secret_hash)
        & (AccountToken.expires_at > clock.epoch())
    )
    transaction.update(
        "token",
        AccountToken(item.id),
        actions=[AccountToken.used_at.set(clock.iso_precise())],
        condition=condition if extra is None else condition & extra,
    )
