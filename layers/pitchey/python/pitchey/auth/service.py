"""Registration, login, refresh-token rotation, logout and sessions.

A session is one login on one device. Its refresh token is `<sessionId>.<random secret>`, stored only as a
SHA-256 hash; each refresh swaps the hash with a conditional update (two racing refreshes cannot both
win), slides the session's expiry and remembers the old hash, so presenting a rotated-out token again is
detected as theft and ends the whole session, unless it is the token the last rotation replaced and that
rotation was under REFRESH_REUSE_GRACE_SECONDS ago: then it is a concurrent refresh that lost (409).
Access tokens carry the session id, and every handler checks the session is live
(pitchey.auth.context.ensure_live), so revocation applies at once on every route.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import UpdateError

from pitchey.auth import lockout, verification
from pitchey.auth.context import AuthUser
from pitchey.auth.models import Session
from pitchey.auth.passwords import burn_verify_time, hash_password, verify_password
from pitchey.auth.tokens import issue_access_token
from pitchey.auth.verification import require_verified_email  # noqa: F401 (the public guard, for services)
from pitchey.core import audit, clock, ratelimit
from pitchey.core.caller import Client
from pitchey.core.db import Page, PageRequest, Transaction, TransactionCancelled, query_page, transact
from pitchey.core.errors import Conflict, Forbidden, NotFound, RateLimited, Unauthorized
from pitchey.core.ids import new_id
from pitchey.core.settings import settings
from pitchey.payments import service as payments
from pitchey.users.models import (
    DIRECTORY,
    PORTALS,
    EmailClaim,
    User,
    email_digest,
    email_key,
    normalize_email,
    search_text,
    user_view,
)
from pitchey.users.service import find_by_email

if TYPE_CHECKING:  # request bodies (pydantic) load only in the functions that parse them
    from pitchey.auth.schemas import LoginBody, RegisterBody

BAD_CREDENTIALS = "Invalid email or password"
MAX_REMEMBERED_REFRESH_HASHES = 100  # rotated-out hashes kept per session for reuse detection
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def session_ttl() -> int:
    return settings().refresh_session_ttl_seconds


def require_portal(portal: str) -> str:
    """`{portal}` in the path: an unknown one is an unknown route."""
    if portal not in PORTALS:
        raise NotFound(f"No such portal: {portal[:40]}")
    return portal


def rate_limit(client: Client) -> None:
    """register + login + refresh share one per-IP budget (AuthRateLimitPerMinute)."""
    ratelimit.hit("auth", client.ip_address or "unknown", settings().auth_rate_limit_per_minute)


def _audit(action: str, client: Client, actor_id: str | None, **kwargs: Any) -> None:
    audit.record(
        action, actor_id=actor_id, ip_address=client.ip_address, user_agent=client.user_agent, **kwargs
    )


# --- sessions and tokens ----------------------------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_refresh_token(session_id: str) -> tuple[str, str]:
    token = f"{session_id}.{secrets.token_urlsafe(32)}"
    return token, _hash(token)


def _new_session(user: User, client: Client) -> tuple[Session, str]:
    session_id = new_id()
    token, token_hash = _new_refresh_token(session_id)
    now = clock.iso_precise()
    session = Session(
        session_id,
        user_id=user.id,
        role=user.user_type,
        created_at=now,
        last_used_at=now,
        user_agent=client.user_agent[:512] if client.user_agent else None,
        ip_address=client.ip_address,
        refresh_hash=token_hash,
        ttl=clock.epoch() + session_ttl(),
    )
    return session, token


def _tokens(session: Session, refresh_token: str) -> dict[str, Any]:
    access_token, expires_in = issue_access_token(session.user_id, session.id, session.role)
    return {"accessToken": access_token, "refreshToken": refresh_token, "expiresIn": expires_in}


def _grant(user: User, session: Session, refresh_token: str) -> dict[str, Any]:
    return {"user": user_view(user), **_tokens(session, refresh_token)}


def _condition_failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def _revoke(session_id: str, owner_id: str | None = None) -> bool:
    """Sets revokedAt (keeping an earlier one). False when there is no such session (of `owner_id`)."""
    condition = Session.id.exists()
    if owner_id is not None:
        condition &= Session.user_id == owner_id
    try:
        Session(session_id).update(
            actions=[Session.revoked_at.set(Session.revoked_at | clock.iso())], condition=condition
        )
    except UpdateError as error:
        if _condition_failed(error):
            return False
        raise
    return True


def _iso_seconds(text: str | None) -> str | None:
    try:
        return clock.iso(clock.from_iso(text)) if text else None
    except ValueError:
        return text


# --- register ----------------------------------------------------------------------------------------
def register(portal: str, body: RegisterBody, client: Client, link_base: str) -> dict[str, Any]:
    """Creates the user, its email claim and a first session in one transaction: all or nothing; then
    mails the email verification link (pointing at `link_base`, the API)."""
    now = clock.iso()
    user = User(
        new_id(),
        email=body.email,
        username=body.username,
        user_type=portal,
        password_hash=hash_password(body.password),
        first_name=body.first_name or None,
        last_name=body.last_name or None,
        company_name=body.company_name or None,
        bio=body.bio or None,
        subscription_tier="free",
        created_at=now,
        updated_at=now,
        verification_sent_at=clock.epoch(),  # the first verification mail: resending waits
        status="active",
        is_admin=_is_bootstrap_admin(body.email),
        directory=DIRECTORY,
        search_text=search_text(body.email, body.username),
    )
    claim = EmailClaim(email_key(body.email), user_id=user.id, created_at=now)
    session, refresh_token = _new_session(user, client)
    _write_registration(user, claim, session)
    _audit(
        "auth.register",
        client,
        user.id,
        target_type="user",
        target_id=user.id,
        details={"portal": portal, "sessionId": session.id},
    )
    verification.send_verification(user, link_base)
    if user.is_admin:
        _audit("admin.bootstrap", client, user.id, target_type="user", target_id=user.id)
    return _grant(user, session, refresh_token)


def _is_bootstrap_admin(email: str) -> bool:
    """The deploy-time AdminBootstrapEmail becomes admin when it registers (the email is unique, so once)."""
    bootstrap = settings().admin_bootstrap_email.strip()
    return bool(bootstrap) and normalize_email(bootstrap) == normalize_email(email)


def _write_registration(user: User, claim: EmailClaim, session: Session) -> None:
    """One transaction; a racing registration of the same email makes DynamoDB cancel it as a conflict,
    which `transact` retries: the retry then sees the winner's claim (409) or succeeds."""

    def write(transaction: Transaction) -> None:
        transaction.put("email", claim, condition=EmailClaim.key.does_not_exist())
        transaction.put("user", user, condition=User.id.does_not_exist())
        transaction.put("session", session, condition=Session.id.does_not_exist())
        payments.open_account(transaction, user.id)  # StarterCredits, in the same commit

    try:
        transact(write)
    except TransactionCancelled as cancelled:
        if "email" in cancelled.failed:
            raise Conflict("An account with this email already exists", code="EMAIL_TAKEN") from None
        raise


# --- login -------------------------------------------------------------------------------------------
def _about_email(email: str) -> dict[str, str]:
    """Failed logins have no actor: their target is the email's digest (never the address itself), so the
    audit index byTarget finds them for the account's export and erasure (pitchey.privacy)."""
    return {"target_type": "email", "target_id": email_digest(email)}


def login(portal: str, body: LoginBody, client: Client) -> dict[str, Any]:
    email = normalize_email(body.email)
    try:
        attempts, window_left = lockout.reserve(email)
    except RateLimited:
        _audit("auth.login_refused_locked", client, None, **_about_email(email))
        raise

    user = _check_credentials(email, body.password)
    if user is None:
        _audit("auth.login_failure", client, None, **_about_email(email), details={"failures": attempts})
        if attempts == lockout.MAX_FAILURES:
            _audit(
                "auth.lockout", client, None, **_about_email(email), details={"lockedForSeconds": window_left}
            )
        raise Unauthorized(BAD_CREDENTIALS)
    lockout.clear(email)

    _refuse_closed_account(user, client)
    if user.user_type != portal:
        _audit("auth.login_portal_mismatch", client, user.id, details={"portal": portal})
        raise Forbidden(
            f"This account belongs to the {user.user_type} portal; sign in there", code="PORTAL_MISMATCH"
        )
    if user.mfa_enabled:  # the password alone gets no tokens: a challenge for the second factor
        from pitchey.auth import mfa

        return mfa.challenge(user, portal, client)
    return _start_session(user, client, {"portal": portal})


def verify_mfa(challenge_token: str, code: str, client: Client) -> dict[str, Any]:
    """POST /api/auth/mfa/verify: the second factor answers the login's challenge → the usual grant."""
    from pitchey.auth import mfa

    user = mfa.pass_challenge(challenge_token, code, client)
    return _start_session(user, client, {"mfa": True})


def _start_session(user: User, client: Client, details: dict[str, Any]) -> dict[str, Any]:
    """A new session after a successful login (password, and the second factor when MFA is on)."""
    session, refresh_token = _new_session(user, client)
    session.save(condition=Session.id.does_not_exist())
    User(user.id).update(actions=[User.last_login_at.set(clock.iso())], condition=User.id.exists())
    # A suspension between the check above and the session write would miss this session (it revokes
    # the sessions it finds): read the status again now the session exists, and end it if so.
    current = User.get(user.id, consistent_read=True)
    if current.account_status != "active":
        _revoke(session.id)
        _refuse_closed_account(current, client)
    if current.deletion_scheduled_at and not _cancel_deletion(current, client):
        _revoke(session.id)  # the erasure claimed the account first
        raise Unauthorized(BAD_CREDENTIALS)
    _audit(
        "auth.login",
        client,
        user.id,
        target_type="session",
        target_id=session.id,
        details=details,
    )
    return _grant(user, session, refresh_token)


def _cancel_deletion(user: User, client: Client) -> bool:
    """Signing in during the deletion grace keeps the account (API.md). False when the erasure claimed
    the account first (it sets status `deleted`; this update requires the status it read)."""
    status = User.status.does_not_exist() if user.status is None else User.status == user.status
    try:
        User(user.id).update(
            actions=[User.deletion_scheduled_at.remove(), User.deletion_queue.remove()],
            condition=(User.deletion_scheduled_at == user.deletion_scheduled_at) & status,
        )
    except UpdateError as error:
        if not _condition_failed(error):
            raise
        return False
    _audit("account.deletion_cancelled", client, user.id, target_type="user", target_id=user.id)
    return True


def check_password(user_id: str, password: str, client: Client, action: str) -> User:
    """The user when `password` is theirs; otherwise 401 `INVALID_PASSWORD` (as change-password and
    mfa/disable answer) and an audit entry `<action>_refused`."""
    user = User.get(user_id, consistent_read=True)
    if not verify_password(password, user.password_hash):
        _audit(f"{action}_refused", client, user_id, target_type="user", target_id=user_id)
        raise Unauthorized("The password is wrong", code="INVALID_PASSWORD")
    return user


CLOSED_ACCOUNT_CODES = {"suspended": "ACCOUNT_SUSPENDED", "banned": "ACCOUNT_BANNED"}


def _refuse_closed_account(user: User, client: Client) -> None:
    """Suspended and banned accounts cannot sign in (403), told only after the right password. An erased
    (or being erased) account is as if unknown."""
    if user.account_status == "deleted":
        raise Unauthorized(BAD_CREDENTIALS)
    code = CLOSED_ACCOUNT_CODES.get(user.account_status)
    if code is not None:
        _audit("auth.login_refused_closed", client, user.id, details={"status": user.account_status})
        raise Forbidden(f"This account is {user.account_status}", code=code)


def _check_credentials(email: str, password: str) -> User | None:
    """The user when the password is right. Unknown emails cost a bcrypt check too (no timing oracle)."""
    user = find_by_email(email)
    if user is None:
        burn_verify_time(password)
        return None
    return user if verify_password(password, user.password_hash) else None


# --- refresh -----------------------------------------------------------------------------------------
def reuse_grace_seconds() -> int:
    return settings().refresh_reuse_grace_seconds


def _just_rotated(session: Session, presented: str) -> bool:
    """`presented` is the token the session's last rotation replaced, and that was under the grace ago:
    two tabs (or a retry) refreshing at once, not a stolen copy."""
    used = session.used_refresh_hashes or []
    return (
        session.revoked_at is None
        and bool(used)
        and hmac.compare_digest(used[-1], presented)
        and session.rotated_at is not None
        and clock.epoch() - int(session.rotated_at) < reuse_grace_seconds()
    )


def _concurrent_refresh() -> Conflict:
    return Conflict(
        "This refresh token was just rotated by a concurrent refresh; use the new token",
        code="TOKEN_ALREADY_ROTATED",
    )


def refresh(refresh_token: str, client: Client) -> dict[str, Any]:
    session_id, _, secret = refresh_token.partition(".")
    if not _SESSION_ID.match(session_id) or not secret:
        raise Unauthorized("Invalid refresh token")
    try:
        session = Session.get(session_id, consistent_read=True)
    except Session.DoesNotExist:
        raise Unauthorized("Invalid refresh token") from None

    presented = _hash(refresh_token)
    if presented in (session.used_refresh_hashes or []):
        if _just_rotated(session, presented):  # an honest concurrent refresh lost the race: not theft
            raise _concurrent_refresh()
        # A rotated-out token came back: someone holds a copy. End the session for everyone.
        _revoke(session.id)
        _audit("auth.token_reuse", client, session.user_id, target_type="session", target_id=session.id)
        raise Unauthorized(
            "Refresh token was already used; the session has been revoked", code="TOKEN_REUSED"
        )
    if not hmac.compare_digest(presented, session.refresh_hash):
        raise Unauthorized("Invalid refresh token")
    now = clock.epoch()
    if session.revoked_at is not None:
        raise Unauthorized("Session has ended")
    if session.ttl <= now:
        raise Unauthorized("Session has expired")

    new_token, new_hash = _new_refresh_token(session.id)
    remembered = [*(session.used_refresh_hashes or []), presented][-MAX_REMEMBERED_REFRESH_HASHES:]
    actions = [
        Session.refresh_hash.set(new_hash),
        Session.used_refresh_hashes.set(remembered),
        Session.last_used_at.set(clock.iso_precise()),
        Session.rotated_at.set(now),
        Session.ttl.set(now + session_ttl()),
    ]
    if client.ip_address:
        actions.append(Session.ip_address.set(client.ip_address))
    if client.user_agent:
        actions.append(Session.user_agent.set(client.user_agent[:512]))
    try:
        session.update(
            actions=actions,
            condition=(Session.refresh_hash == presented)
            & Session.revoked_at.does_not_exist()
            & (Session.ttl > now),
        )
    except UpdateError as error:
        if _condition_failed(error):  # a concurrent refresh (or revocation) got there first
            if _just_rotated(Session.get(session.id, consistent_read=True), presented):
                raise _concurrent_refresh() from None
            raise Unauthorized("Refresh token is no longer valid") from None
        raise
    _audit("auth.refresh", client, session.user_id, target_type="session", target_id=session.id)
    return _tokens(session, new_token)


# --- logout and sessions -----------------------------------------------------------------------------
def logout(user: AuthUser, client: Client) -> dict[str, Any]:
    _revoke(user.session_id, owner_id=user.id)
    _audit("auth.logout", client, user.id, target_type="session", target_id=user.session_id)
    return {"revokedSessions": 1}


def logout_all(user: AuthUser, client: Client) -> dict[str, Any]:
    revoked = revoke_user_sessions(user.id)
    _audit(
        "auth.logout_all",
        client,
        user.id,
        target_type="user",
        target_id=user.id,
        details={"revokedSessions": revoked},
    )
    return {"revokedSessions": revoked}


def revoke_user_sessions(user_id: str, keep: str | None = None) -> int:
    """Ends every live session of the user (but `keep`, the caller's own, if given); their refresh tokens
    die with them. Returns how many were ended."""
    live = Session.by_user.query(
        user_id, filter_condition=Session.revoked_at.does_not_exist() & (Session.ttl > clock.epoch())
    )
    return sum(1 for session in live if session.id != keep and _revoke(session.id, owner_id=user_id))


def list_sessions(user: AuthUser, page: PageRequest) -> Page[dict[str, Any]]:
    """Live sessions of the caller, newest first (Query on byUser)."""
    result = query_page(
        Session,
        lambda **paging: Session.by_user.query(
            user.id,
            filter_condition=Session.revoked_at.does_not_exist() & (Session.ttl > clock.epoch()),
            scan_index_forward=False,
            **paging,
        ),
        ("id", "userId", "createdAt"),
        page=page,
        scope=f"sessions:{user.id}",
        filtered=True,
    )
    return result.map(
        lambda session: {
            "id": session.id,
            "createdAt": _iso_seconds(session.created_at),
            "lastUsedAt": _iso_seconds(session.last_used_at),
            "userAgent": session.user_agent,
            "ipAddress": session.ip_address,
            "current": session.id == user.session_id,
        }
    )


def revoke_session(user: AuthUser, session_id: str, client: Client) -> dict[str, Any]:
    """Revokes one of the caller's sessions; anyone else's (or an unknown id) is a 404."""
    if not _SESSION_ID.match(session_id) or not _revoke(session_id, owner_id=user.id):
        raise NotFound("Session not found")
    _audit("auth.session_revoke", client, user.id, target_type="session", target_id=session_id)
    return {"id": session_id, "revoked": True}
