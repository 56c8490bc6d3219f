"""Payments' public face for other contexts: the spend hook, the starter grant and the credit reads.

The spend hook. An action that costs credits adds its charge to its own transaction, so the action and its
charge commit together or not at all:

    from pitchey.payments import service as payments

    def build(tx: Transaction) -> None:
        tx.put("message", message, Message.id.does_not_exist())      # the action's own items
        payments.charge(tx, payments.Payer(user.id, user.role), "message", message.id)

    payments.run_charged(build)     # raises payments.InsufficientCredits (402) when the debit is refused

`charge(tx, payer, action, reference_id)` reads the payer's account and adds the debit (named
`payments.DEBIT`) and its ledger entry; it adds nothing when the action is free for the payer (an investor's
message) or the payer's tier is unlimited (then only a check that the tier is still unlimited). The price is
plans.COSTS: the caller never says how much. `run_charged(build)` runs `transact(build)`: when only the
debit's condition failed because another movement of the same balance got there first it rebuilds and
retries; when the balance is short it raises InsufficientCredits; when any of the action's own conditions
failed it re-raises TransactionCancelled unchanged (names → reasons), so the caller answers its own 404/409
and nothing was charged. `charged(run)` does the same for a `run()` that writes the transaction itself
(e.g. a workflow start given the build with `charge` in it).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from pitchey.core.db import Page, PageRequest, Transaction, TransactionCancelled, query_page, transact
from pitchey.core.errors import AppError, Conflict
from pitchey.payments import credits
from pitchey.payments.credits import ACCOUNT, LEDGER, load_account
from pitchey.payments.models import CreditAccount, LedgerEntry, PaymentTransaction
from pitchey.payments.plans import TIERS, cost

T = TypeVar("T")
DEBIT = ACCOUNT
CHARGE_ITEMS = frozenset({ACCOUNT, LEDGER})  # the transaction items `charge` adds
_ATTEMPTS = 30
_short: ContextVar[bool] = ContextVar("credits_short", default=False)  # the last charge() found too few


class InsufficientCredits(AppError):
    status, code = 402, "INSUFFICIENT_CREDITS"


@dataclass(frozen=True)
class Payer:
    user_id: str
    role: str


def charge(tx: Transaction, payer: Payer, action: str, reference_id: str) -> None:
    """Add the debit for `action` (and its ledger entry) to `tx`. See the module docstring."""
    price = cost(action, payer.role)
    if price == 0:
        return
    account = load_account(payer.user_id)
    if credits.is_unlimited(account):
        unlimited = [name for name, tier in TIERS.items() if tier.unlimited]
        tx.check(DEBIT, CreditAccount, payer.user_id, CreditAccount.tier.is_in(*unlimited))
        return
    # Short of credits: the debit's condition will fail, but it still goes into the transaction so that the
    # action's own conditions are evaluated too (a request that fails anyway answers its own 404/409).
    _short.set(account is None or account.balance < price)
    if account is None:
        tx.check(DEBIT, CreditAccount, payer.user_id, CreditAccount.user_id.exists())
        return
    credits.movement(tx, payer.user_id, account, -price, action, reference_id)


def run_charged(build: Callable[[Transaction], None]) -> None:
    """`transact(build)` for a build that calls `charge`. See the module docstring."""
    charged(lambda: transact(build))


def charged(run: Callable[[], T]) -> T:
    """`run_charged` for an action whose transaction is written by someone else (e.g. a workflow's start):
    `run` performs it with `charge` among its items, and is called again when the debit lost a race."""
    for attempt in range(_ATTEMPTS):
        _short.set(False)
        try:
            return run()
        except TransactionCancelled as cancelled:
            if not set(cancelled.failed) <= CHARGE_ITEMS:
                raise
            if _short.get():
                raise InsufficientCredits("Not enough credits for this action") from None
            # The balance moved between read and write (another movement won): rebuild from a fresh read.
        time.sleep(random.uniform(0.005, 0.02) * min(attempt + 1, 10))
    raise Conflict("Too many concurrent changes to your credits, please retry", code="CONCURRENT_UPDATE")


def open_account(tx: Transaction, user_id: str) -> None:
    """Add a new user's credit account with the StarterCredits grant to the registration transaction."""
    credits.open_account(tx, user_id)


def refund_charge(user_id: str, action: str, reference_id: str, role: str) -> None:
    """Give back what `charge` took for an action that was undone after it committed."""
    price = cost(action, role)
    for _ in range(_ATTEMPTS):
        account = load_account(user_id)
        if account is None or credits.is_unlimited(account) or price == 0:
            return
        try:
            transact(lambda tx, a=account: credits.movement(tx, user_id, a, price, "undo", reference_id))
            return
        except TransactionCancelled:
            continue
    raise Conflict("Too many concurrent changes to your credits, please retry", code="CONCURRENT_UPDATE")


# --- reads -------------------------------------------------------------------------------------------
def balance(user_id: str) -> dict[str, Any]:
    account = load_account(user_id)
    return {
        "balance": account.balance if account else 0,
        "lifetimePurchased": account.lifetime_purchased if account else 0,
        "lifetimeUsed": account.lifetime_used if account else 0,
        "unlimited": credits.is_unlimited(account),
    }


def ledger(user_id: str, page: PageRequest) -> Page[LedgerEntry]:
    return query_page(
        LedgerEntry,
        lambda **kw: LedgerEntry.query(user_id, scan_index_forward=False, consistent_read=True, **kw),
        ("userId", "seq"),
        page=page,
        scope=f"payments:ledger:{user_id}",
    )


def ledger_view(e: LedgerEntry) -> dict[str, Any]:
    return {
        "delta": e.delta,
        "reason": e.reason,
        "referenceId": e.reference_id,
        "balanceAfter": e.balance_after,
        **({"shortfall": e.shortfall} if e.shortfall else {}),
        "createdAt": _seconds(e.created_at),
    }


def transaction_view(t: PaymentTransaction) -> dict[str, Any]:
    return {
        "id": t.id,
        "type": t.type,
        "amountCents": t.amount_cents,
        "currency": t.currency,
        "status": t.status,
        "description": t.description,
        "createdAt": _seconds(t.created_at),
    }


def history(user_id: str, page: PageRequest) -> Page[PaymentTransaction]:
    return query_page(
        PaymentTransaction,
        lambda **kw: PaymentTransaction.by_user.query(user_id, scan_index_forward=False, **kw),
        ("id", "userId", "createdAt"),
        page=page,
        scope=f"payments:history:{user_id}",
    )


def _seconds(text: str) -> str:
    from pitchey.core import clock

    return clock.iso(clock.from_iso(text))


def close_customer(user_id: str) -> int:
    """Account erasure: the user's subscription ends and their Stripe customer is deleted
    (billing.close_customer, imported here so that only the erasure loads the Stripe client)."""
    from pitchey.payments import billing

    return billing.close_customer(user_id)
