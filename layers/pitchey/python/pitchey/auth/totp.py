"""TOTP (RFC 6238 over RFC 4226 HOTP): HMAC-SHA1, 30 s steps, 6 digits. Small enough to keep in stdlib."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1  # a code from the step before or after is accepted (clock skew, typing time)


def new_secret() -> str:
    """160 random bits in base32 (RFC 4226's recommended key length), as authenticator apps take it."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def hotp(secret: str, counter: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    mac = hmac.new(key, struct.pack(">Q", counter), getattr(hashlib, digest)).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def step(epoch: float) -> int:
    return int(epoch // STEP_SECONDS)


def matching_step(secret: str, code: str, epoch: float) -> int | None:
    """The time step whose code `code` is (within the drift), compared in constant time; None if none."""
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = step(epoch)
    found = None
    for candidate in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(hotp(secret, candidate), code):
            found = candidate
    return found


def otpauth_uri(secret: str, account: str, issuer: str = "Pitchey") -> str:
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_SECONDS}
    )
    return f"otpauth://totp/{label}?{query}"
