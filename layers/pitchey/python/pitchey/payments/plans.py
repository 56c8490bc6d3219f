"""The one price list: subscription tiers, credit packs and what actions cost (API.md "Payments and credits").

Everything that charges, grants or shows a price reads it from here. Prices are EUR cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CURRENCY = "EUR"
INTERVALS = ("month", "year")
MONTHS_PER_INTERVAL = {"month": 1, "year": 12}


@dataclass(frozen=True)
class Tier:
    tier: str
    portal: str | None
    monthly_cents: int
    yearly_cents: int
    credits_per_month: int | None  # None: unlimited (actions cost nothing)

    @property
    def unlimited(self) -> bool:
        return self.credits_per_month is None

    def price_cents(self, interval: str) -> int:
        return self.monthly_cents if interval == "month" else self.yearly_cents

    def plan_id(self, interval: str) -> str:
        """The Stripe Plan (a Price on Stripe's side) this tier is billed on: our id, the same everywhere."""
        return f"pitchey_{self.tier}_{interval}"


@dataclass(frozen=True)
class Pack:
    pack: str
    credits: int
    bonus_credits: int
    price_cents: int

    @property
    def total_credits(self) -> int:
        return self.credits + self.bonus_credits


TIERS: dict[str, Tier] = {
    t.tier: t
    for t in (
        Tier("free", None, 0, 0, 0),
        Tier("creator", "creator", 1999, 19900, 10),
        Tier("creator_plus", "creator", 2999, 29900, 30),
        Tier("creator_unlimited", "creator", 3999, 39900, None),
        Tier("production", "production", 2999, 29900, 20),
        Tier("production_plus", "production", 3999, 39900, 40),
        Tier("production_unlimited", "production", 4999, 49900, None),
        Tier("exec", "investor", 3999, 39900, 30),
        Tier("exec_unlimited", "investor", 4999, 49900, None),
    )
}

PACKS: dict[str, Pack] = {
    p.pack: p
    for p in (
        Pack("pack1", 1, 0, 299),
        Pack("pack5", 5, 0, 899),
        Pack("pack10", 10, 0, 1499),
        Pack("pack30", 30, 10, 2999),
    )
}

# What each paid action costs, in credits. `free_for`: roles that never pay for it.
COSTS: dict[str, int] = {"nda_request": 10, "media_upload": 10, "message": 2}
FREE_FOR: dict[str, frozenset[str]] = {"message": frozenset({"investor"})}


def cost(action: str, role: str) -> int:
    if action not in COSTS:
        raise ValueError(f"unknown paid action {action}")
    return 0 if role in FREE_FOR.get(action, frozenset()) else COSTS[action]


def tier_for_plan(plan_id: str | None) -> tuple[Tier, str] | None:
    """(tier, interval) of one of our plan ids; None for a plan we never created."""
    for tier in TIERS.values():
        for interval in INTERVALS:
            if tier.tier != "free" and tier.plan_id(interval) == plan_id:
                return tier, interval
    return None


def catalogue() -> dict[str, Any]:
    """GET /api/payments/plans."""
    return {
        "currency": CURRENCY,
        "tiers": [
            {
                "tier": t.tier,
                "portal": t.portal,
                "monthlyCents": t.monthly_cents,
                "yearlyCents": t.yearly_cents,
                "creditsPerMonth": t.credits_per_month,
            }
            for t in TIERS.values()
        ],
        "packs": [
            {
                "pack": p.pack,
                "credits": p.credits,
                "bonusCredits": p.bonus_credits,
                "priceCents": p.price_cents,
            }
            for p in PACKS.values()
        ],
        "costs": {
            "ndaRequest": COSTS["nda_request"],
            "mediaUpload": COSTS["media_upload"],
            "message": COSTS["message"],
        },
    }
