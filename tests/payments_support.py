"""Credits for test users made without registering (registration opens the account with StarterCredits)."""

from __future__ import annotations

from pitchey.core.db import transact
from pitchey.payments import credits


def give_credits(user_id: str, amount: int = 10_000) -> None:
    """A credit account holding `amount`, as a purchase would leave it (a ledger entry included)."""
    account = credits.load_account(user_id)
    transact(lambda tx: credits.movement(tx, user_id, account, amount, "purchase", "test-grant"))


# --- signed Stripe events, as Stripe (or localstripe) sends them -------------------------------------------
WEBHOOK_SECRET = "whsec_tests_only_not_a_secret"


def sign(raw: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    import hashlib
    import hmac
    import time

    t = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={t},v1={signature}"


_events = __import__("itertools").count(1)


def stripe_event(type_: str, obj: dict, *, event_id: str | None = None, created: int | None = None) -> dict:
    import time

    return {
        "id": event_id or f"evt_test_{next(_events)}_{time.time_ns()}",
        "object": "event",
        "type": type_,
        "created": created if created is not None else int(time.time()),
        "data": {"object": obj},
    }
