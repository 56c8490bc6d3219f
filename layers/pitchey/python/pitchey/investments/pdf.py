"""Investment agreements as PDF, in the house style of core/pdf.py (fpdf2). Imported only by the
investment document function (functions/investments/documents/), the only one of this context that ships
fpdf2."""

from __future__ import annotations

from pitchey.core.pdf import FONT, MUTED, NEXT_LINE, Document, when
from pitchey.investments.agreement import InvestmentAgreement


def render(agreement: InvestmentAgreement) -> bytes:
    pdf = Document(f"Pitchey investment {agreement.reference}")
    pdf.set_title(f"Investment Agreement - {agreement.pitch_title}")
    pdf.set_author("Pitchey")
    pdf.set_subject(f"Investment {agreement.reference}")
    pdf.add_page()

    pdf.set_font(FONT, "B", 18)
    pdf.cell(0, 10, "INVESTMENT AGREEMENT", align="C", **NEXT_LINE)
    pdf.set_font(FONT, "", 11.5)
    pdf.multi_cell(0, 6, f'Project: "{agreement.pitch_title}"', align="C", **NEXT_LINE)
    pdf.set_font(FONT, "I", 9)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 6, f"Reference {agreement.reference}  ·  {agreement.amount}", align="C", **NEXT_LINE)
    pdf.rule(3)

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
