"""Endpoints with a caller: pitchey.core.http's `api` plus who is calling and what they may do.

    @api(roles={"creator"})
    def handler(request: Request) -> Response:
        return created(service.create(request.user, request.parse(CreatePitch)))

auth="required" (the default): protected routes, which carry the Lambda authorizer's context.
auth="optional": public routes, where a bearer token, if sent, makes the caller known. auth="none": nobody.
The caller becomes `request.user` (an AuthUser) only after the checks a cached authorizer answer cannot
make (expiry since caching, session still live) and counts against the per-user API rate limit; `roles`
are the userTypes allowed (403 otherwise); verified=True also requires a verified email (403
EMAIL_NOT_VERIFIED, read from the Users table so that verifying applies at once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from pitchey.core import http
from pitchey.core.errors import Forbidden, Unauthorized
from pitchey.core.log import logger
from pitchey.core.settings import settings

AUTH_MODES = ("required", "optional", "none")


def authenticate(request: http.Request, required: bool) -> None:
    """Sets request.user. Protected routes have the authorizer's context; public ones may carry a token."""
    from pitchey.auth import context  # imported when a route needs a caller: public routes skip jwt
    from pitchey.core import ratelimit

    if request.authorizer:
        user = context.user_from_authorizer(request.authorizer)
    else:
        token = context.bearer_token(request.headers)
        if token is None:
            if required:
                raise Unauthorized("Authentication required")
            return
        user = context.user_from_token(token)
    context.ensure_live(user)
    ratelimit.hit("api", user.id, settings().api_rate_limit_per_minute)
    request.user = user
    logger.append_keys(user_id=user.id)


def require_admin(request: http.Request) -> None:
    """Admin is data on the user (pitchey.users), read consistently on each admin request: a grant
    applies at once, and no token claim or request body can make anyone admin."""
    from pitchey.users import service as users

    if request.user is None or not users.is_admin(request.user.id):
        raise Forbidden("This action is only available to administrators")


def api(
    *,
    auth: str = "required",
    roles: Iterable[str] | None = None,
    admin: bool = False,
    idempotent: bool = False,
    verified: bool = False,
) -> Callable[[http.Handler], Callable[[dict[str, Any], Any], dict[str, Any]]]:
    """auth: "required" | "optional" | "none". roles: allowed userTypes (403 otherwise). admin: only
    administrators (403 otherwise). idempotent: honour an Idempotency-Key header (see pitchey.core.http.api).
    verified: only users whose email is verified (NDA requests, investments, payments, messages)."""
    if auth not in AUTH_MODES:
        raise ValueError(f"unknown auth mode {auth}")
    if admin and auth != "required":
        raise ValueError("admin routes require authentication")
    allowed_roles = frozenset(roles) if roles else None

    def guard(request: http.Request) -> None:
        if auth != "none":
            authenticate(request, required=auth == "required")
        if allowed_roles is not None and (request.user is None or request.user.role not in allowed_roles):
            raise Forbidden("This action is not available to your account type")
        if verified and request.user is not None:
            require_verified_email(request.user.id)
        if admin:
            require_admin(request)

    return http.api(guard=guard, idempotent=idempotent)


def require_verified_email(user_id: str) -> None:
    """403 EMAIL_NOT_VERIFIED unless the user has verified their email (see pitchey.auth.verification)."""
    from pitchey.auth import verification

    verification.require_verified_email(user_id)


_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def link_base(request: http.Request) -> str:
    """Where links in account mails point: the API this request came to. Deployed that is the configured
    EMAIL_LINK_BASE_URL (the stage's URL); a request to a loopback host (the local runtime) gets links to
    that host. The Host header never steers a link anywhere else, so a forged one cannot phish."""
    domain = str((request.event.get("requestContext") or {}).get("domainName") or "")
    try:
        host = urlsplit(f"//{domain}").hostname
    except ValueError:
        host = None
    if host in _LOOPBACK:
        return f"http://{domain}"
    return settings().email_link_base_url.rstrip("/")
