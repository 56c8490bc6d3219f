"""HTTP API Lambda REQUEST authorizer (payload 2.0, simple responses).

Verifies the access JWT from `Authorization: Bearer <token>` and passes who the caller is to the route in
`context`. A bad or expired token is still let through, with `authError` in context, so the handler can
answer API.md's enveloped 401 (a gateway denial cannot carry our envelope). The answer is cached per token
for up to 300 s, so this does no I/O at all: handlers re-check expiry and the session (ensure_live).
Imports stay minimal (PyJWT via pitchey.auth.tokens, no boto3/PynamoDB) for a fast cold start.
"""

from __future__ import annotations

from typing import Any

from pitchey.auth.tokens import decode_access_token
from pitchey.core.errors import Unauthorized


def _token(event: dict[str, Any]) -> str | None:
    sources = event.get("identitySource") or []
    value = sources[0] if sources else None
    if not value:
        headers = event.get("headers") or {}
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    if not value:
        return None
    scheme, _, token = str(value).strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else ""


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    token = _token(event)
    if token is None:
        # API Gateway does not call us without the identity source; deny like it would.
        return {"isAuthorized": False}
    try:
        claims = decode_access_token(token)
    except Unauthorized as error:
        return {"isAuthorized": True, "context": {"authError": error.code}}
    return {
        "isAuthorized": True,
        "context": {
            "userId": claims["sub"],
            "role": claims["role"],
            "sessionId": claims["sid"],
            "exp": int(claims["exp"]),
        },
    }
