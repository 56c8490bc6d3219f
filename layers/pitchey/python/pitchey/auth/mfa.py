"""TOTP multi-factor authentication: setup, enable (with backup codes), regenerate, disable, and the login
challenge that a correct password becomes when MFA is on.

Every code is usable once: a TOTP code by moving `mfaLastStep` forward with a conditional update (a
replayed or older code fails it), a backup code by deleting its hash from the set under the condition that
it is still there. A challenge dies after MAX_CHALLENGE_FAILURES wrong codes (an atomic counter).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from pynamodb.exceptions import UpdateError

from pitchey.auth import onetime, totp
from pitchey.auth.context import AuthUser
from pitchey.auth.models import AccountToken
from pitchey.auth.passwords import verify_password
from pitchey.core import audit, clock
from pitchey.core.caller import Client
from pitchey.core.db import TransactionCancelled, transact
from pitchey.core.errors import Conflict, Unauthorized
from pitchey.core.settings import settings
from pitchey.users.models import User
from pitchey.users.service import get_user

BACKUP_CODES = 10
MAX_CHALLENGE_FAILURES = 5


def _invalid_code() -> Unauthorized:
    return Unauthorized("The authentication code is wrong", code="INVALID_MFA_CODE")


def _condition_failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def _backup_hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode("utf-8")).hexdigest()


def _new_backup_codes() -> tuple[list[str], set[str]]:
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(BACKUP_CODES)]
    return codes, {_backup_hash(code) for code in codes}


# --- using a code -------------------------------------------------------------------------------------
def _use_totp(user: User, secret: str, code: str) -> bool:
    step = totp.matching_step(secret, code.strip(), clock.epoch())
    if step is None:
        return False
    try:
        User(user.id).update(
            actions=[User.mfa_last_step.set(step)],
            condition=User.mfa_last_step.does_not_exist() | (User.mfa_last_step < step),
        )
    except UpdateError as error:
        if _condition_failed(error):
            return False  # this code (or a later one) was used already
        raise
    return True


def _use_backup_code(user: User, code: str) -> bool:
    hashed = _backup_hash(code)
    if hashed not in (user.mfa_backup_hashes or set()):
        return False
    try:
        User(user.id).update(
            actions=[User.mfa_backup_hashes.delete({hashed})],
            condition=User.mfa_backup_hashes.contains(hashed) & (User.mfa_enabled == True),  # noqa: E712
        )
    except UpdateError as error:
        if _condition_failed(error):
            return False  # a racing request spent it
        raise
    return True


def _check_code(user: User, code: str, *, backup_allowed: bool) -> bool:
    if not user.mfa_enabled or not user.mfa_secret:
        return False
    if _use_totp(user, user.mfa_secret, code):
        return True
    return backup_allowed and _use_backup_code(user, code)


# --- setup, enable, regenerate, disable ---------------------------------------------------------------
def setup(caller: AuthUser, client: Client) -> dict[str, Any]:
    """A new secret, pending until `enable` proves the authenticator has it."""
    user = get_user(caller.id)
    if user.mfa_enabled:
        raise Conflict(
            "Two-factor authentication is already on; disable it first", code="MFA_ALREADY_ENABLED"
        )
    secret = totp.new_secret()
    User(user.id).update(actions=[User.mfa_pending_secret.set(secret)], condition=User.id.exists())
    audit.record_account("auth.mfa_setup", client, user.id)
    return {"secret": secret, "otpauthUri": totp.otpauth_uri(secret, user.email)}


def enable(caller: AuthUser, code: str, client: Client) -> dict[str, Any]:
    user = get_user(caller.id)
    if user.mfa_enabled:
        raise Conflict("Two-factor authentication is already on", code="MFA_ALREADY_ENABLED")
    pending = user.mfa_pending_secret
    if not pending:
        raise Conflict("Start with POST /api/auth/mfa/setup", code="MFA_NOT_SET_UP")
    step = totp.matching_step(pending, code.strip(), clock.epoch())
    if step is None:
        raise _invalid_code()
    codes, hashes = _new_backup_codes()
    try:
        User(user.id).update(
            actions=[
                User.mfa_enabled.set(True),
                User.mfa_secret.set(pending),
                User.mfa_pending_secret.remove(),
                User.mfa_last_step.set(step),
                User.mfa_backup_hashes.set(hashes),
                User.updated_at.set(clock.iso()),
            ],
            condition=User.mfa_pending_secret == pending,  # a racing setup/enable changed it
        )
    except UpdateError as error:
        if _condition_failed(error):
            raise Conflict(
                "Two-factor setup changed meanwhile; try again", code="CONCURRENT_UPDATE"
            ) from None
        raise
    audit.record_account("auth.mfa_enabled", client, user.id)
    return {"backupCodes": codes}


def regenerate_backup_codes(caller: AuthUser, code: str, client: Client) -> dict[str, Any]:
    """A new set (the old one stops working), for a current TOTP code."""
    user = get_user(caller.id)
    if not user.mfa_enabled:
        raise Conflict("Two-factor authentication is off", code="MFA_NOT_ENABLED")
    if not _check_code(user, code, backup_allowed=False):
        raise _invalid_code()
    codes, hashes = _new_backup_codes()
    User(user.id).update(actions=[User.mfa_backup_hashes.set(hashes)], condition=User.mfa_enabled == True)  # noqa: E712
    audit.record_account("auth.mfa_backup_codes_regenerated", client, user.id)
    return {"backupCodes": codes}


def disable(caller: AuthUser, password: str, code: str, client: Client) -> dict[str, Any]:
    user = get_user(caller.id)
    if not user.mfa_enabled:
        raise Conflict("Two-factor authentication is off", code="MFA_NOT_ENABLED")
    if not verify_password(password, user.password_hash):
        audit.record_account("auth.mfa_disable_refused", client, user.id)
        raise Unauthorized("The password is wrong", code="INVALID_PASSWORD")
    if not _check_code(user, code, backup_allowed=True):
        audit.record_account("auth.mfa_disable_refused", client, user.id)
        raise _invalid_code()
    User(user.id).update(
        actions=[
            User.mfa_enabled.set(False),
            User.mfa_secret.remove(),
            User.mfa_pending_secret.remove(),
            User.mfa_backup_hashes.remove(),
            User.updated_at.set(clock.iso()),
        ],
        condition=User.id.exists(),
    )
    audit.record_account("auth.mfa_disabled", client, user.id)
    return {"mfaEnabled": False}


# --- login ----------------------------------------------------------------------------------------------
def challenge(user: User, portal: str, client: Client) -> dict[str, Any]:
    """Called by login once the password was right: a 5-minute challenge instead of tokens."""
    token, item = onetime.issue(onetime.MFA_CHALLENGE, user.id, settings().mfa_challenge_ttl_seconds)
    item.save(condition=AccountToken.id.does_not_exist())
    audit.record_account("auth.mfa_challenge", client, user.id, challengeId=item.id, portal=portal)
    return {"mfaRequired": True, "challengeToken": token}


def pass_challenge(challenge_token: str, code: str, client: Client) -> User:
    """The challenge's user once a TOTP code or an unused backup code answers it (the challenge is then
    used up); wrong codes count against it. pitchey.auth.service.verify_mfa then starts the session."""
    item = onetime.read(onetime.MFA_CHALLENGE, challenge_token)
    if (item.failures or 0) >= MAX_CHALLENGE_FAILURES:
        raise onetime.invalid()
    user = get_user(item.user_id)
    if not _check_code(user, code, backup_allowed=True):
        _count_failure(item, client)
        raise _invalid_code()
    alive = AccountToken.failures.does_not_exist() | (AccountToken.failures < MAX_CHALLENGE_FAILURES)
    try:
        transact(lambda transaction: onetime.consume(transaction, item, extra=alive))
    except TransactionCancelled:
        raise onetime.invalid() from None
    return user


def _count_failure(item: AccountToken, client: Client) -> None:
    """One more wrong code (atomic ADD, only while the challenge lives); the fifth kills it."""
    try:
        AccountToken(item.id).update(
            actions=[AccountToken.failures.add(1)],
            condition=AccountToken.used_at.does_not_exist()
            & (AccountToken.failures.does_not_exist() | (AccountToken.failures < MAX_CHALLENGE_FAILURES)),
        )
    except UpdateError as error:
        if _condition_failed(error):
            raise onetime.invalid() from None
        raise
    audit.record_account("auth.mfa_failure", client, item.user_id, challengeId=item.id)
