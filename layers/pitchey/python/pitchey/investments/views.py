"""The `investment` JSON of API.md. Kept apart from the request schemas so read-only handlers stay light."""

from __future__ import annotations

from typing import Any

from pitchey.investments.models import Investment, TimelineEntry


def entry_json(entry: TimelineEntry) -> dict[str, Any]:
    return {"status": entry.status, "at": entry.at, "byUserId": entry.by_user_id, "note": entry.note}


def investment_json(investment: Investment) -> dict[str, Any]:
    """Exactly the fields of API.md's `investment` (never task tokens, claims or document keys)."""
    return {
        "id": investment.id,
        "pitchId": investment.pitch_id,
        "pitchTitle": investment.pitch_title,
        "investorId": investment.investor_id,
        "creatorId": investment.creator_id,
        "amountCents": int(investment.amount_cents),
        "currency": investment.currency,
        "status": investment.status,
        "transactionId": investment.transaction_id,
        "terms": investment.terms,
        "createdAt": _seconds(investment.created_at),
        "updatedAt": investment.updated_at,
        "timeline": [entry_json(entry) for entry in investment.timeline or []],
        "agreementAvailable": investment.agreement_key is not None,
    }


def _seconds(timestamp: str) -> str:
    return timestamp[:19] + "Z" if len(timestamp) > 20 else timestamp
