"""Credits for test users made without registering (registration opens the account with StarterCredits)."""

from __future__ import annotations

from pitchey.core.db import transact
from pitchey.payments import credits


def give_credits(user_id: str, amount: int = 10_000) -> None:
    """A credit account holding `amount`, as a purchase would leave it (a ledger entry included)."""
    account = credits.load_account(user_id)
    transact(lambda tx: credits.movement(tx, user_id, account, amount, "purchase", "test-grant"))
