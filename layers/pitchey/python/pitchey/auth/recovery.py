"""Forgot, reset and change password.

Forgot-password answers the same for every email and does the same amount of work either way (a known email
writes a token and a mail; an unknown one reads as many items), so neither the body nor the timing says
whether an account exists. A reset or change kills sessions: reset every one (whoever asked may not be the
owner), change every other one. A password change also invalidates reset tokens issued before it.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import TYPE_CHECKING, Any

from pitchey.auth import onetime
from pitchey.auth.context import AuthUser
from pitchey.auth.models import AccountToken
from pitchey.auth.passwords import hash_password, verify_password
from pitchey.auth.service import revoke_user_sessions
from pitchey.auth.verification import link
from pitchey.core import audit, clock
from pitchey.core.caller import Client
from pitchey.core.db import Transaction, TransactionCancelled, transact
from pitchey.core.errors import Conflict, Unauthorized
from pitchey.core.ids import new_id
from pitchey.core.settings import settings
from pitchey.notifications.service import send_account_email
from pitchey.users.models import User, normalize_email
from pitchey.users.service import find_by_email, get_user

if TYPE_CHECKING:  # request bodies (pydantic) load only in the functions that parse them
    from pitchey.auth.schemas import ChangePasswordBody, ResetPasswordBody

FORGOT_ANSWER = {"message": "If an account exists for this email, a password reset link is on its way."}


def forgot_password(email: str, link_base: str, client: Client) -> dict[str, Any]:
    user = find_by_email(normalize_email(email))
    if user is None:
        _same_work()
        audit.record_account("auth.password_reset_unknown_email", client, None)
        return dict(FORGOT_ANSWER)
    token, item = onetime.issue(onetime.RESET_PASSWORD, user.id, settings().password_reset_ttl_seconds)
    item.save(condition=AccountToken.id.does_not_exist())
    send_account_email(
        f"reset-password#{item.id}",
        user,
        "Reset your password",
        "Someone asked to reset the password of your Pitchey account. If it was you, open this link within "
        "an hour (or send its token with a new password to POST /api/auth/reset-password); otherwise "
        "ignore this mail:",
        link(link_base, "/api/auth/reset-password", token),
    )
    audit.record_account("auth.password_reset_requested", client, user.id, tokenId=item.id)
    return dict(FORGOT_ANSWER)


def _same_work() -> None:
    """As many round trips as a known email costs (user read, token write, mail write): reads of keys that
    cannot exist, so an unknown email is not answered measurably faster."""
    with contextlib.suppress(User.DoesNotExist):
        User.get(f"none-{new_id()}", consistent_read=True)
    for _ in range(2):
        with contextlib.suppress(AccountToken.DoesNotExist):
            AccountToken.get(f"none-{secrets.token_hex(8)}", consistent_read=True)


def reset_password(body: ResetPasswordBody, client: Client) -> dict[str, Any]:
    item = onetime.read(onetime.RESET_PASSWORD, body.token)
    user = get_user(item.user_id)
    if user.password_changed_at and item.created_at < user.password_changed_at:
        raise onetime.invalid()  # the password changed since this link was sent
    new_hash = hash_password(body.password)
    changed_at = clock.iso_precise()

    def write(transaction: Transaction) -> None:
        onetime.consume(transaction, item)
        transaction.update(
            "user",
            User(user.id),
            actions=_password_actions(new_hash, changed_at),
            condition=User.id.exists(),
        )

    try:
        transact(write)
    except TransactionCancelled:
        raise onetime.invalid() from None
    revoked = revoke_user_sessions(user.id)
    audit.record_account("auth.password_reset", client, user.id, tokenId=item.id, revokedSessions=revoked)
    return {"passwordChanged": True, "revokedSessions": revoked}


def change_password(caller: AuthUser, body: ChangePasswordBody, client: Client) -> dict[str, Any]:
    user = get_user(caller.id)
    if not verify_password(body.current_password, user.password_hash):
        audit.record_account("auth.password_change_refused", client, user.id)
        raise Unauthorized("The current password is wrong", code="INVALID_PASSWORD")
    new_hash = hash_password(body.new_password)

    def write(transaction: Transaction) -> None:
        # Conditioned on the hash just checked: of two racing changes only the first applies.
        transaction.update(
            "user",
            User(user.id),
            actions=_password_actions(new_hash, clock.iso_precise()),
            condition=User.password_hash == user.password_hash,
        )

    try:
        transact(write)
    except TransactionCancelled:
        raise Conflict("The password was changed meanwhile; try again", code="CONCURRENT_UPDATE") from None
    revoked = revoke_user_sessions(user.id, keep=caller.session_id)
    audit.record_account("auth.password_change", client, user.id, revokedSessions=revoked)
    return {"passwordChanged": True, "revokedSessions": revoked}


def _password_actions(new_hash: str, changed_at: str) -> list[Any]:
    return [
        User.password_hash.set(new_hash),
        User.password_changed_at.set(changed_at),
        User.updated_at.set(clock.iso()),
    ]
