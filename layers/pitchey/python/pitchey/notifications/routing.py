"""What happens by email when a notification is written (run from the Notifications stream).

The user's preference for the notification's category decides: instant → an email now (queued in the
outbox), daily / weekly → an entry for that digest, never → nothing. payment and system notifications have
no category and are always emailed at once. `digest: never` switches digest emails off altogether.
"""

from __future__ import annotations

from pitchey.notifications import digest, emails
from pitchey.notifications.models import Notification
from pitchey.notifications.preferences import category_of, email_preferences


def route_email(notification: Notification) -> str:
    """Returns what was done: instant | daily | weekly | never (for logs and tests)."""
    category = category_of(notification.type)
    if category is None:
        emails.enqueue_instant(notification, None)
        return "instant"
    preferences = email_preferences(notification.user_id)
    frequency = preferences[category]
    if frequency == "instant":
        emails.enqueue_instant(notification, category)
    elif frequency in digest.PERIODS:
        if preferences["digest"] == "never":
            return "never"
        digest.add_entry(frequency, notification)
    return frequency
