"""Investment agreements: rendered by the workflow when an investment is created, stored encrypted (SSE
AES-256) under a random key, handed to the parties as 15-minute presigned URLs.

The PDF library is imported only inside `generate`, which runs in the document function alone.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from pitchey.core import documents as store
from pitchey.core.settings import settings
from pitchey.core.workflow import StateConflict
from pitchey.investments.agreement import compose
from pitchey.investments.models import Investment


def bucket() -> str:
    # Deployed: !Ref InvestmentDocumentsBucket. Tests and the local runtime name buckets by logical id.
    return settings().investment_documents_bucket


def download_url(key: str, file_name: str) -> tuple[str, str]:
    return store.download_url(bucket(), key, file_name)


def generate(investment_id: str) -> dict[str, Any]:
    """Workflow step: render and store the agreement, then record its key once (a retry changes nothing)."""
    from pitchey.investments.pdf import render  # fpdf2: only this function's package ships it
    from pitchey.users.service import party

    try:
        investment = Investment.get(investment_id, consistent_read=True)
    except Investment.DoesNotExist:
        raise StateConflict(f"investment {investment_id} does not exist") from None
    if investment.agreement_key:
        return {"agreementKey": "exists"}
    agreement = compose(
        reference=investment.id,
        transaction_id=investment.transaction_id,
        pitch_title=investment.pitch_title,
        created_at=investment.timeline[0].at if investment.timeline else investment.updated_at,
        amount_cents=int(investment.amount_cents),
        currency=investment.currency,
        terms=investment.terms,
        creator=party(investment.creator_id),
        investor=party(investment.investor_id),
    )
    key = f"{store.new_prefix('investment')}/agreement.pdf"
    store.put(bucket(), key, render(agreement), "application/pdf")
    try:
        investment.update(
            actions=[Investment.agreement_key.set(key)], condition=Investment.agreement_key.does_not_exist()
        )
    except UpdateError as error:
        # A duplicate invocation recorded its own copy first: that one stands.
        if error.cause_response_code == "ConditionalCheckFailedException":
            return {"agreementKey": "exists"}
        raise
    return {"agreementKey": "stored"}


STEPS = {"generate_agreement": lambda event: generate(event["investmentId"])}
