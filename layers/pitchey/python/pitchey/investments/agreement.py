"""The text of an investment agreement: the pitch, both parties, the amount, the investor's terms and the
stages the investment goes through. Pure Python (the PDF is rendered from it by pdf.py)."""

from __future__ import annotations

from dataclasses import dataclass

from pitchey.users.service import Party


@dataclass(frozen=True)
class InvestmentAgreement:
    reference: str  # the investment id
    transaction_id: str
    pitch_title: str
    created_at: str  # ISO-8601 UTC
    amount: str  # "$250,000.00 (USD)"
    creator: Party
    investor: Party
    sections: tuple[tuple[str, tuple[str, ...]], ...]


def dollars(cents: int, currency: str) -> str:
    return f"${cents // 100:,}.{cents % 100:02d} ({currency})"


def compose(
    *,
    reference: str,
    transaction_id: str,
    pitch_title: str,
    created_at: str,
    amount_cents: int,
    currency: str,
    terms: str | None,
    creator: Party,
    investor: Party,
) -> InvestmentAgreement:
    amount = dollars(amount_cents, currency)
    own_terms = tuple(p.strip() for p in (terms or "").split("\n\n") if p.strip())
    sections = (
        (
            "The investment",
            (
                f'{investor.name} (the "Investor") offers to invest {amount} (the "Amount") in the project '
                f'"{pitch_title}" (the "Project") presented on Pitchey by {creator.name} (the "Creator").',
                "The Amount is a pledge until the Creator commits it at the end of negotiation. It is paid "
                "only once the investment is committed, and the investment becomes active when the Investor "
                "has sent the funds.",
            ),
        ),
        (
            "Terms proposed by the Investor",
            own_terms or ("The Investor proposed no terms beyond those of this agreement.",),
        ),
        (
            "Stages",
            (
                "The investment passes through due diligence and negotiation before it is committed. Until "
                "it is committed the Investor may withdraw and the Creator may decline it; a stage in which "
                "neither party acts within the period Pitchey sets lapses, and the investment expires.",
                "A committed or active investment whose funds are not delivered may be declared in default "
                "by the Creator. Each change of stage is recorded with its date and the party that made it.",
            ),
        ),
        (
            "Confidentiality",
            (
                "Each party keeps confidential the terms of this agreement and any material received about "
                "the Project, except as required by law or agreed in writing.",
            ),
        ),
        (
            "Record",
            (
                "This agreement records the offer made on Pitchey. Pitchey is not a party to it, does not "
                "hold the Amount and gives no financial, legal or tax advice.",
            ),
        ),
    )
    return InvestmentAgreement(
        reference=reference,
        transaction_id=transaction_id,
        pitch_title=pitch_title,
        created_at=created_at,
        amount=amount,
        creator=creator,
        investor=investor,
        sections=sections,
    )
