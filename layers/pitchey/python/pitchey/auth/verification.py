"""Email verification: the mail sent at registration (and on request), the link's token, and the guard.

Whether a user is verified is read from the Users table on every guarded request, never from the access
token: verifying takes effect at once, also for tokens issued before it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pynamodb.exceptions import UpdateError

from pitchey.auth import onetime
from pitchey.core import audit, clock
from pitchey.core.caller import Client
from pitchey.core.db import Transaction, TransactionCancelled, transact
from pitchey.core.errors import Forbidden, RateLimited
from pitchey.core.settings import settings
from pitchey.notifications.service import send_account_email
from pitchey.users.models import User, user_view
from pitchey.users.service import get_user


def link(link_base: str, path: str, token: str) -> str:
    return f"{link_base.rstrip('/')}{path}?token={quote(token, safe='')}"


def send_verification(user: User, link_base: str) -> None:
    """A fresh 24 h token by mail. Earlier tokens stay valid until they expire (any one verifies)."""
    token, item = onetime.issue(onetime.VERIFY_EMAIL, user.id, settings().email_verification_ttl_seconds)
    item.save(condition=type(item).id.does_not_exist())
    send_account_email(
        f"verify-email#{item.id}",
        user,
        "Confirm your email address",
        "Please confirm your email address for Pitchey by opening this link (valid for 24 hours), or by "
        "sending its token to POST /api/auth/verify-email:",
        link(link_base, "/api/auth/verify-email", token),
    )


def verify_email(token: str, client: Client) -> dict[str, Any]:
    """Consumes the token and marks the email verified, in one transaction: a token works once."""
    item = onetime.read(onetime.VERIFY_EMAIL, token)
    user = get_user(item.user_id)

    def write(transaction: Transaction) -> None:
        onetime.consume(transaction, item)
        if user.email_verified_at is None:
            transaction.update(
                "user",
                User(user.id),
                actions=[User.email_verified_at.set(clock.iso())],
                condition=User.id.exists(),
            )

    try:
        transact(write)
    except TransactionCancelled:
        raise onetime.invalid() from None
    audit.record_account("auth.email_verified", client, user.id, tokenId=item.id)
    return user_view(get_user(user.id))


def resend_verification(user_id: str, link_base: str, client: Client) -> dict[str, Any]:
    """At most one mail per VERIFICATION_RESEND_SECONDS: the send time is claimed with a conditional
    update first, so racing resends send one mail. Already verified: nothing to send."""
    user = get_user(user_id)
    if user.email_verified_at is not None:
        return {"sent": False, "emailVerified": True}
    now = clock.epoch()
    window = settings().verification_resend_seconds
    try:
        User(user.id).update(
            actions=[User.verification_sent_at.set(now)],
            condition=User.id.exists()
            & (User.verification_sent_at.does_not_exist() | (User.verification_sent_at <= now - window)),
        )
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        last = get_user(user_id).verification_sent_at or now
        raise RateLimited(
            "A verification email was sent moments ago; try again later",
            retry_after=int(last) + window - now,
        ) from None
    send_verification(user, link_base)
    audit.record_account("auth.verification_resent", client, user.id)
    return {"sent": True, "emailVerified": False}


def require_verified_email(user_id: str) -> None:
    """The guard for NDA requests, investments, payments and messages: 403 EMAIL_NOT_VERIFIED."""
    if get_user(user_id).email_verified_at is None:
        raise Forbidden("Confirm your email address first", code="EMAIL_NOT_VERIFIED")
