"""Credit movements. Every change of a balance is one `movement` added to a transaction: the account update,
conditional on the account's movement counter not having moved since it was read (so `balanceAfter` on the
ledger entry is exact and no two movements can both apply to the same balance), plus the ledger entry.
A movement that lost that race is rebuilt from a fresh read by whoever runs the transaction."""

from __future__ import annotations

from dataclasses import dataclass

from pitchey.core import audit, clock
from pitchey.core.db import Transaction
from pitchey.core.settings import settings
from pitchey.payments.models import CreditAccount, LedgerEntry
from pitchey.payments.plans import TIERS

ACCOUNT = "credits"  # transaction item names
LEDGER = "credits-ledger"
AUDIT = "credits-audit"


def starter_credits() -> int:
    return settings().starter_credits


def load_account(user_id: str) -> CreditAccount | None:
    try:
        return CreditAccount.get(user_id, consistent_read=True)
    except CreditAccount.DoesNotExist:
        return None


def is_unlimited(account: CreditAccount | None) -> bool:
    tier = TIERS.get(account.tier) if account else None
    return bool(tier and tier.unlimited)


def unchanged(account: CreditAccount | None):  # -> Condition
    """The account is as it was read (or still absent)."""
    if account is None:
        return CreditAccount.user_id.does_not_exist()
    return CreditAccount.seq == account.seq


@dataclass(frozen=True)
class Movement:
    delta: int
    balance_after: int
    shortfall: int


def movement(
    tx: Transaction,
    user_id: str,
    account: CreditAccount | None,
    delta: int,
    reason: str,
    reference_id: str | None,
    *,
    floor_at_zero: bool = False,
) -> Movement:
    """Add `delta` credits (negative: take) to the balance `account` was read with.

    `floor_at_zero`: take at most what there is and keep the rest as `shortfall` on the ledger (refunds);
    otherwise a negative delta larger than the balance is left to the condition `balance >= -delta`
    (the transaction is then cancelled on ACCOUNT: not enough credits)."""
    balance = account.balance if account else 0
    seq = (account.seq if account else 0) + 1
    shortfall = 0
    if floor_at_zero and balance + delta < 0:
        shortfall, delta = -(balance + delta), -balance
    now = clock.iso_precise()
    actions = [
        CreditAccount.balance.set(balance + delta),
        CreditAccount.seq.set(seq),
        CreditAccount.created_at.set(CreditAccount.created_at | now),
    ]
    if delta > 0 and reason in ("purchase", "subscription"):
        actions.append(CreditAccount.lifetime_purchased.add(delta))
    if delta < 0 and reason not in ("refund",):
        actions.append(CreditAccount.lifetime_used.add(-delta))
    condition = unchanged(account)
    if delta < 0:
        condition &= CreditAccount.balance >= -delta
    tx.update(ACCOUNT, CreditAccount(user_id), actions, condition)
    entry = LedgerEntry(
        user_id,
        seq,
        delta=delta,
        reason=reason,
        reference_id=reference_id,
        balance_after=balance + delta,
        shortfall=shortfall or None,
        created_at=now,
    )
    tx.put(LEDGER, entry, LedgerEntry.seq.does_not_exist())
    # The audit log tells of every credit movement, written with it (never one without the other).
    details = {"delta": delta, "reason": reason, "referenceId": reference_id, "balanceAfter": balance + delta}
    tx.put(
        AUDIT,
        audit.entry(
            f"credits.{reason}", actor_id=user_id, target_type="credits", target_id=user_id, details=details
        ),
    )
    return Movement(delta, balance + delta, shortfall)


def open_account(tx: Transaction, user_id: str) -> None:
    """A new user's account with the `starter` grant (StarterCredits), added to the registration."""
    now = clock.iso_precise()
    credits = starter_credits()
    account = CreditAccount(user_id, balance=credits, seq=1, tier="free", created_at=now)
    tx.put(ACCOUNT, account, CreditAccount.user_id.does_not_exist())
    entry = LedgerEntry(
        user_id, 1, delta=credits, reason="starter", reference_id=None, balance_after=credits, created_at=now
    )
    tx.put(LEDGER, entry, LedgerEntry.seq.does_not_exist())
