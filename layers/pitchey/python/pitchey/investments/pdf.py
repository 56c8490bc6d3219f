"""Investment agreements as PDF, in the house style of core/pdf.py (fpdf2). Imported only by the
investment document function (functions/investments/documents/), the only one of this context that ships
fpdf2."""

from __future__ import annotations

from pitchey.core.pdf import FONT, NEXT_LINE, Document, when
from pitchey.investments.agreement import InvestmentAgreement


def render(agreement: InvestmentAgreement) -> bytes:
    pdf = Document(f"Pitchey investment {agreement.reference}")
    pdf.set_title(f"Investment Agreement - {agreement.pitch_title}")
    pdf.set_author("Pitchey")
    pdf.set_subject(f"Investment {agreement.reference}")
    pdf.add_page()

    line = f"Investment offer  ·  {agreement.amount}  ·  Reference {agreement.reference}"
    pdf.heading("INVESTMENT AGREEMENT", agreement.pitch_title, line)

    pdf.party_columns(
        [
            ("Creator", agreement.creator.name, agreement.creator.company, agreement.creator.role),
            ("Investor", agreement.investor.name, agreement.investor.company, agreement.investor.role),
        ]
    )
    for number, (heading, paragraphs) in enumerate(agreement.sections, start=1):
        pdf.keep_space(18)
        pdf.set_font(FONT, "B", 11)
        pdf.cell(0, 7, f"{number}.  {heading}", **NEXT_LINE)
        for text in paragraphs:
            pdf.paragraph(text)
            pdf.ln(1.5)
        pdf.ln(1)

    pdf.record(
        "Investment record",
        [
            ("Agreement reference", agreement.reference),
            ("Transaction id", agreement.transaction_id),
            ("Amount", agreement.amount),
            ("Offered at", when(agreement.created_at)),
            ("Creator", f"{agreement.creator.name} ({agreement.creator.role})"),
            ("Investor", f"{agreement.investor.name} ({agreement.investor.role})"),
        ],
    )
    return bytes(pdf.output())
