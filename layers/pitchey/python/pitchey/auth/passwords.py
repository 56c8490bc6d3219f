"""Password hashing: bcrypt over a SHA-256 pre-hash.

bcrypt only reads 72 bytes (and bcrypt 5 refuses more), while a valid password may be 128 characters of
multi-byte UTF-8. Hashing it first with SHA-256 and base64 (44 bytes) keeps every character significant.
The cost factor is the BCRYPT_ROUNDS setting: 12 when deployed, lower in tests.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from types import ModuleType

from pitchey.core.settings import settings


def _bcrypt() -> ModuleType:
    """bcrypt loads on the first hash or check: modules that import this one for a function that never
    touches a password (session lists, admin) keep it out of their cold start."""
    import bcrypt

    return bcrypt


def _rounds() -> int:
    return min(max(settings().bcrypt_rounds, 4), 31)


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str) -> str:
    bcrypt = _bcrypt()
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(_rounds())).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _bcrypt().checkpw(_prehash(password), password_hash.encode("ascii"))
    except ValueError:  # a malformed stored hash never matches
        return False


@functools.lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> bytes:
    bcrypt = _bcrypt()
    return bcrypt.hashpw(b"pitchey-dummy-password", bcrypt.gensalt(rounds))


def burn_verify_time(password: str) -> None:
    """Spend what a real check costs, so an unknown email answers as slowly as a wrong password."""
    _bcrypt().checkpw(_prehash(password), _dummy_hash(_rounds()))
