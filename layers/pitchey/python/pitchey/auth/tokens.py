"""Access tokens: HS256 JWTs carrying sub, sid (session), role (userType), iat, exp, jti."""

from __future__ import annotations

import secrets
from types import ModuleType
from typing import Any

from pitchey.core import clock, keys
from pitchey.core.errors import Unauthorized
from pitchey.core.settings import settings

ALGORITHM = "HS256"


def _jwt() -> ModuleType:
    """PyJWT loads with the first token issued or decoded, not with every module that imports this one:
    behind API Gateway the authorizer's context names the caller, so most functions never decode one."""
    import jwt

    return jwt


def access_token_ttl() -> int:
    return settings().access_token_ttl_seconds


def issue_access_token(user_id: str, session_id: str, role: str) -> tuple[str, int]:
    """Returns the token and its lifetime in seconds (the API's `expiresIn`)."""
    ttl = access_token_ttl()
    issued = clock.epoch()
    claims = {
        "sub": user_id,
        "sid": session_id,
        "role": role,
        "iat": issued,
        "exp": issued + ttl,
        "jti": secrets.token_hex(12),
    }
    return _jwt().encode(claims, keys.current(keys.JWT), algorithm=ALGORITHM), ttl


def decode_access_token(token: str) -> dict[str, Any]:
    """The claims of a token signed with the current key or, during a rotation, the previous one."""
    jwt = _jwt()
    for key in keys.verifying(keys.JWT):
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                options={"require": ["sub", "sid", "role", "iat", "exp", "jti"]},
            )
        except jwt.InvalidSignatureError:
            continue  # signed with another key: try the next one
        except jwt.ExpiredSignatureError:
            raise Unauthorized("Access token expired", code="TOKEN_EXPIRED") from None
        except jwt.InvalidTokenError:
            raise Unauthorized("Invalid access token") from None
    raise Unauthorized("Invalid access token")
