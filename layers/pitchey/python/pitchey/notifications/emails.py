"""Notification email: templates, signed unsubscribe links, the outbox and its delivery through SES.

Every email is first written to the EmailOutbox table (idempotently, keyed by what it is about). The
outbox's stream triggers the first send attempt; a failed attempt stays `pending` with a later
`nextAttemptAt`, and the retry schedule sends it again (exponential backoff, then `failed` after
EMAIL_MAX_ATTEMPTS, kept for inspection). A lease on each attempt keeps the stream and the retry sweep
from sending the same email twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from pynamodb.exceptions import PutError, UpdateError

from pitchey.core import clock, keys
from pitchey.core.errors import BadRequest
from pitchey.core.log import logger
from pitchey.core.settings import settings
from pitchey.notifications.models import Notification, OutboxEmail
from pitchey.users.models import User

PENDING_QUEUE = "pending"
LEASE_SECONDS = 120
SENT_RETENTION_SECONDS = 30 * 24 * 3600
CATEGORY_LABELS = {
    "nda": "NDA",
    "investment": "investment",
    "message": "message",
    "pitch": "pitch update",
    "digest": "digest",
}
_ses_client: Any = None


# --- configuration ------------------------------------------------------------------------------------
def sender_address() -> str:
    return settings().email_from_address


def _link_base() -> str:
    return settings().email_link_base_url.rstrip("/")


def max_attempts() -> int:
    return settings().email_max_attempts


def ses_client() -> Any:
    """Created on first use: functions that only queue mail never pay for it."""
    global _ses_client
    if _ses_client is None:
        import boto3

        _ses_client = boto3.client("ses")
    return _ses_client


# --- unsubscribe tokens -----------------------------------------------------------------------------------
def _unsubscribe_mac(secret: str, payload: bytes) -> bytes:
    key = hashlib.sha256(b"pitchey-unsubscribe:" + secret.encode()).digest()
    return hmac.new(key, payload, hashlib.sha256).digest()[:18]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unsubscribe_token_seconds() -> int:
    return settings().unsubscribe_token_ttl_seconds


def unsubscribe_token(user_id: str, category: str) -> str:
    """Signed (user, category, expiry): works for unsubscribe_token_seconds() (30 days), one category."""
    claims = {"u": user_id, "c": category, "e": clock.epoch() + unsubscribe_token_seconds()}
    payload = json.dumps(claims, separators=(",", ":")).encode()
    mac = _unsubscribe_mac(keys.current(keys.LINKS), payload)
    return f"{_b64(payload)}.{_b64(mac)}"


@dataclass(frozen=True)
class UnsubscribeToken:
    user_id: str
    category: str
    expires_at: int


def read_unsubscribe_token(token: str) -> UnsubscribeToken:
    """The claims of a token this service signed and that has not expired; 400 for anything else."""
    try:
        payload_part, mac_part = token.split(".", 1)
        payload = _unb64(payload_part)
        mac = _unb64(mac_part)
        # A link mailed just before a rotation keeps working (the previous key, while it exists).
        if not any(
            hmac.compare_digest(mac, _unsubscribe_mac(s, payload)) for s in keys.verifying(keys.LINKS)
        ):
            raise ValueError("bad signature")
        claims = json.loads(payload)
        user_id, category, expires_at = claims["u"], claims["c"], claims["e"]
        if not isinstance(user_id, str) or category not in CATEGORY_LABELS or not isinstance(expires_at, int):
            raise ValueError("bad claims")
    except (ValueError, KeyError, TypeError):
        raise BadRequest("Invalid unsubscribe token") from None
    if expires_at <= clock.epoch():
        raise BadRequest("This unsubscribe link has expired", code="UNSUBSCRIBE_LINK_EXPIRED")
    return UnsubscribeToken(user_id, category, expires_at)


def describe_unsubscribe(token: str) -> dict[str, Any]:
    """GET of the link (a mail client or scanner may prefetch it): says what a POST would do, changes
    nothing."""
    claims = read_unsubscribe_token(token)
    return {
        "category": claims.category,
        "label": CATEGORY_LABELS[claims.category],
        "unsubscribed": False,
        "expiresAt": clock.iso(datetime.fromtimestamp(claims.expires_at, UTC)),
        "confirm": {"method": "POST", "path": "/api/notifications/unsubscribe", "token": token},
    }


def unsubscribe(token: str) -> dict[str, Any]:
    """POST of the link: the token's category is set to `never` (again is the same answer)."""
    from pitchey.notifications.preferences import update_preferences

    claims = read_unsubscribe_token(token)
    return {"unsubscribed": claims.category, **update_preferences(claims.user_id, {claims.category: "never"})}


def unsubscribe_url(user_id: str, category: str) -> str:
    token = quote(unsubscribe_token(user_id, category), safe="")
    return f"{_link_base()}/api/notifications/unsubscribe?token={token}"


# --- templates --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _greeting(user: User) -> str:
    return f"Hi {user.first_name or user.username},"


def _footer(user: User, category: str | None) -> tuple[str, str]:
    """(text, html) footer: the unsubscribe link for a category, or why a transactional mail cannot be."""
    if category is None:
        note = "You receive this email because it concerns your Pitchey account."
        return note, f"<p style='color:#666;font-size:12px'>{html.escape(note)}</p>"
    url = unsubscribe_url(user.id, category)
    label = CATEGORY_LABELS[category]
    text = f"Stop {label} emails: {url}"
    markup = (
        f"<p style='color:#666;font-size:12px'>You receive these because your {html.escape(label)} "
        f"email setting allows them. <a href='{html.escape(url)}'>Unsubscribe</a></p>"
    )
    return text, markup


# Notification types whose title and body are stored HTML-escaped (message previews: messages.rules.preview).
# Mail shows their plain text, and its HTML part escapes that once, so an `&` reads as `&` in the mail.
_STORED_ESCAPED = frozenset({"message"})


def _plain(notification: Notification) -> tuple[str, str]:
    if notification.type in _STORED_ESCAPED:
        return html.unescape(notification.title), html.unescape(notification.body)
    return notification.title, notification.body


def render_instant(user: User, notification: Notification, category: str | None) -> Rendered:
    footer_text, footer_html = _footer(user, category)
    title, body = _plain(notification)
    text = (
        f"{_greeting(user)}\n\n{title}\n\n{body}\n\n"
        f"See it in Pitchey: {_link_base()}/api/notifications\n\n-- \n{footer_text}\n"
    )
    markup = (
        f"<html><body><p>{html.escape(_greeting(user))}</p>"
        f"<h2>{html.escape(title)}</h2><p>{html.escape(body)}</p>"
        f"{footer_html}</body></html>"
    )
    return Rendered(subject=f"[Pitchey] {title}", text=text, html=markup)


def render_digest(user: User, period: str, notifications: list[Notification], more: int) -> Rendered:
    heading = f"Your {period} Pitchey digest"
    count = len(notifications) + more
    shown = [_plain(item) for item in notifications]
    lines = [f"- {title}: {body}" for title, body in shown]
    if more:
        lines.append(f"- and {more} more")
    footer_text, footer_html = _footer(user, "digest")
    text = (
        f"{_greeting(user)}\n\n{heading}: {count} unread notification{'s' if count != 1 else ''}.\n\n"
        + "\n".join(lines)
        + f"\n\nSee them in Pitchey: {_link_base()}/api/notifications\n\n-- \n{footer_text}\n"
    )
    items_html = "".join(
        f"<li><strong>{html.escape(title)}</strong>: {html.escape(body)}</li>" for title, body in shown
    )
    if more:
        items_html += f"<li>and {more} more</li>"
    markup = (
        f"<html><body><p>{html.escape(_greeting(user))}</p><h2>{html.escape(heading)}</h2>"
        f"<ul>{items_html}</ul>{footer_html}</body></html>"
    )
    return Rendered(subject=f"[Pitchey] {heading} ({count} new)", text=text, html=markup)


# --- the outbox -------------------------------------------------------------------------------------------
def find_user(user_id: str) -> User | None:
    try:
        return User.get(user_id)
    except User.DoesNotExist:
        return None


def new_outbox_email(
    email_id: str, kind: str, user: User, rendered: Rendered, notification_ids: list[str]
) -> OutboxEmail:
    now = clock.iso_precise()
    return OutboxEmail(
        email_id,
        kind=kind,
        user_id=user.id,
        to_email=user.email,
        from_email=sender_address(),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        notification_ids=notification_ids,
        status="pending",
        attempts=0,
        pending_queue=PENDING_QUEUE,
        next_attempt_at=now,
        created_at=now,
    )


def enqueue_instant(notification: Notification, category: str | None) -> bool:
    """Queue the email for one notification. Keyed by the notification, so a retried stream record
    queues nothing new. Returns False when there is nothing to send (unknown user, already queued)."""
    user = find_user(notification.user_id)
    if user is None:
        logger.warning("email skipped: no such user", extra={"user_id": notification.user_id})
        return False
    rendered = render_instant(user, notification, category)
    email = new_outbox_email(f"notification#{notification.id}", "instant", user, rendered, [notification.id])
    try:
        email.save(condition=OutboxEmail.id.does_not_exist())
    except PutError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def render_account(user: User, subject: str, intro: str, link: str | None) -> Rendered:
    """A transactional account mail (verify your email, reset your password): no unsubscribe link."""
    footer_text, footer_html = _footer(user, None)
    action_text = f"\n\n{link}" if link else ""
    action_html = f"<p><a href='{html.escape(link)}'>{html.escape(link)}</a></p>" if link else ""
    text = f"{_greeting(user)}\n\n{intro}{action_text}\n\n-- \n{footer_text}\n"
    markup = (
        f"<html><body><p>{html.escape(_greeting(user))}</p><p>{html.escape(intro)}</p>"
        f"{action_html}{footer_html}</body></html>"
    )
    return Rendered(subject=f"[Pitchey] {subject}", text=text, html=markup)


def enqueue_account(email_id: str, user: User, subject: str, intro: str, link: str | None) -> None:
    """Queue an account mail under a fresh id (each one is a new token): sent like every other mail."""
    email = new_outbox_email(email_id, "account", user, render_account(user, subject, intro, link), [])
    email.save(condition=OutboxEmail.id.does_not_exist())


# --- delivery ---------------------------------------------------------------------------------------------
def _claim(email_id: str, now: int) -> OutboxEmail | None:
    """Take a lease on a pending email whose previous attempt (if any) is not still running."""
    email = OutboxEmail(email_id)
    try:
        email.update(
            actions=[OutboxEmail.attempts.add(1), OutboxEmail.lease_until.set(now + LEASE_SECONDS)],
            condition=(OutboxEmail.status == "pending")
            & (OutboxEmail.lease_until.does_not_exist() | (OutboxEmail.lease_until < now)),
        )
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return None
        raise
    return email


def _send(email: OutboxEmail) -> str:
    response = ses_client().send_email(
        Source=email.from_email,
        Destination={"ToAddresses": [email.to_email]},
        Message={
            "Subject": {"Data": email.subject, "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": email.text, "Charset": "UTF-8"},
                "Html": {"Data": email.html, "Charset": "UTF-8"},
            },
        },
    )
    return str(response.get("MessageId", ""))


def deliver(email_id: str) -> str:
    """One send attempt. Returns the email's status afterwards: sent, pending (will be retried), failed,
    or skipped (not pending, or another attempt holds the lease)."""
    now = clock.epoch()
    email = _claim(email_id, now)
    if email is None:
        return "skipped"
    try:
        message_id = _send(email)
    except Exception as error:  # SES or network: recorded and retried, never lost
        return _record_failure(email, error)
    email.update(
        actions=[
            OutboxEmail.status.set("sent"),
            OutboxEmail.sent_at.set(clock.iso()),
            OutboxEmail.message_id.set(message_id),
            OutboxEmail.pending_queue.remove(),
            OutboxEmail.next_attempt_at.remove(),
            OutboxEmail.lease_until.remove(),
            OutboxEmail.ttl.set(now + SENT_RETENTION_SECONDS),
        ]
    )
    return "sent"


def _record_failure(email: OutboxEmail, error: Exception) -> str:
    attempts = int(email.attempts)
    message = f"{type(error).__name__}: {error}"[:1000]
    logger.warning("email send failed", extra={"email_id": email.id, "attempts": attempts})
    if attempts >= max_attempts():
        email.update(
            actions=[
                OutboxEmail.status.set("failed"),
                OutboxEmail.last_error.set(message),
                OutboxEmail.pending_queue.remove(),
                OutboxEmail.lease_until.remove(),
            ]
        )
        logger.error("email given up", extra={"email_id": email.id})
        return "failed"
    retry_at = clock.now() + timedelta(seconds=60 * 2 ** (attempts - 1))
    email.update(
        actions=[
            OutboxEmail.last_error.set(message),
            OutboxEmail.next_attempt_at.set(clock.iso_precise(retry_at)),
            OutboxEmail.lease_until.remove(),
        ]
    )
    return "pending"


def retry_due(limit: int = 500) -> dict[str, int]:
    """The retry schedule: one attempt for every pending email that is due (Query on the sparse index)."""
    counts: dict[str, int] = {}
    due = OutboxEmail.pending.query(
        PENDING_QUEUE, OutboxEmail.next_attempt_at <= clock.iso_precise(), limit=limit
    )
    for email in due:
        status = deliver(email.id)
        counts[status] = counts.get(status, 0) + 1
    return counts
