"""Who is calling: from the authorizer's context (API Gateway) or, on public routes, the bearer token.

The authorizer's answer is cached for up to 300 s per token, so the handler re-checks what can change in
that time: the token's expiry and the session being live (one GetItem). Logout and revocation therefore
apply at once on every route.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pitchey.auth.tokens import decode_access_token
from pitchey.core import clock
from pitchey.core.errors import Unauthorized

AUTH_ERROR_MESSAGES = {
    "TOKEN_EXPIRED": "Access token expired",
    "UNAUTHORIZED": "Invalid access token",
}


class AuthUser(NamedTuple):
    id: str
    role: str
    session_id: str
    exp: int


def bearer_token(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization header must be 'Bearer <token>'")
    return token.strip()


def user_from_token(token: str) -> AuthUser:
    claims = decode_access_token(token)
    return AuthUser(id=claims["sub"], role=claims["role"], session_id=claims["sid"], exp=int(claims["exp"]))


def user_from_authorizer(context: dict[str, Any]) -> AuthUser:
    if context.get("authError"):
        code = str(context["authError"])
        raise Unauthorized(AUTH_ERROR_MESSAGES.get(code, "Invalid access token"), code=code)
    try:
        return AuthUser(
            id=str(context["userId"]),
            role=str(context["role"]),
            session_id=str(context["sessionId"]),
            exp=int(context["exp"]),
        )
    except (KeyError, TypeError, ValueError):
        raise Unauthorized("Invalid access token") from None


def ensure_live(user: AuthUser) -> None:
    """The checks a cached authorizer answer cannot make: expiry since caching, session revoked."""
    from pitchey.auth.models import Session

    if user.exp <= clock.epoch():
        raise Unauthorized("Access token expired", code="TOKEN_EXPIRED")
    try:
        session = Session.get(user.session_id)
    except Session.DoesNotExist:
        raise Unauthorized("Session has ended") from None
    if session.user_id != user.id or not session.is_live():
        raise Unauthorized("Session has ended")
