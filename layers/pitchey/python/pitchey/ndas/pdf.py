"""NDA documents as PDF (fpdf2, in the house style of core/pdf.py). Imported only by the document function
(functions/ndas/documents/), which is the only one that ships fpdf2: every other function stays light.
"""

from __future__ import annotations

from fpdf.enums import XPos, YPos

from pitchey.core.pdf import FONT, INK, MUTED, NEXT_LINE, Document
from pitchey.core.pdf import when as _when
from pitchey.ndas.agreement import Agreement, Approval, Signature


class _Document(Document):
    def __init__(self, reference: str) -> None:
        super().__init__(f"Pitchey NDA {reference}")
        self.reference = reference


def render(
    agreement: Agreement, approval: Approval, signature: Signature | None = None, *, preview: bool = False
) -> bytes:
    """The approved version (signature lines blank) or, with `signature`, the signed version; `preview`:
    a template's sample, labelled as such (placeholder parties, nothing to sign)."""
    pdf = _Document(agreement.reference)
    pdf.set_title(f"Non-Disclosure Agreement - {agreement.pitch_title}")
    pdf.set_author("Pitchey")
    state = "template preview" if preview else "signed" if signature else "approved, unsigned"
    pdf.set_subject(f"NDA {agreement.reference} ({state})")
    pdf.add_page()

    _title(pdf, agreement, "Template preview" if preview else "Executed copy" if signature else None)
    _parties(pdf, agreement)
    pdf.paragraph(
        f'This Non-Disclosure Agreement (the "Agreement") is made on {agreement.effective_date} (the '
        '"Effective Date") between the Disclosing Party and the Receiving Party named above (each a '
        '"Party" and together the "Parties"), who agree as follows.'
    )
    pdf.ln(2)
    for number, section in enumerate(agreement.sections, start=1):
        pdf.keep_space(18)
        pdf.set_font(FONT, "B", 11)
        pdf.cell(0, 7, f"{number}.  {section.heading}", **NEXT_LINE)
        for text in section.paragraphs:
            pdf.paragraph(text)
            pdf.ln(1.5)
        pdf.ln(1)

    _signature_block(pdf, agreement, approval, signature)
    _record(pdf, agreement, approval, signature)
    return bytes(pdf.output())


def _title(pdf: _Document, agreement: Agreement, state: str | None) -> None:
    state = state or "Approved for signature"
    line = f"{agreement.template_label}  ·  {state}  ·  Reference {agreement.reference}"
    pdf.heading("NON-DISCLOSURE AGREEMENT", agreement.pitch_title, line)


def _parties(pdf: _Document, agreement: Agreement) -> None:
    pdf.party_columns(
        [
            (title, party.name, party.company, party.role)
            for title, party in (
                ("Disclosing Party", agreement.disclosing),
                ("Receiving Party", agreement.receiving),
            )
        ]
    )


def _signature_block(
    pdf: _Document, agreement: Agreement, approval: Approval, signature: Signature | None
) -> None:
    pdf.keep_space(72)
    pdf.rule(2)
    pdf.paragraph(
        "IN WITNESS WHEREOF, the Parties have executed this Agreement electronically as recorded below.",
        style="I",
        size=10,
    )
    pdf.ln(4)
    top = pdf.get_y()
    column = (pdf.epw - 12) / 2
    receiving_lines = (
        (f"/s/ {signature.signer_name}", signature.signer_name, _when(signature.signed_at))
        if signature
        else ("", agreement.receiving.name, "")
    )
    columns = (
        (
            "Disclosing Party",
            f"/s/ {approval.approved_by}",
            approval.approved_by,
            _when(approval.approved_at),
        ),
        ("Receiving Party", *receiving_lines),
    )
    bottoms = []
    for index, (title, signed_as, name, date) in enumerate(columns):
        x = pdf.l_margin + index * (column + 12)
        pdf.set_xy(x, top)
        pdf.set_font(FONT, "B", 8.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(column, 5, title.upper(), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
        pdf.ln(4)
        pdf.set_x(x)
        pdf.set_font(FONT, "I", 11)
        pdf.multi_cell(column, 6, signed_as or " ", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_draw_color(*INK)
        pdf.line(x, pdf.get_y() + 0.5, x + column, pdf.get_y() + 0.5)
        pdf.ln(2)
        for text in ("Signature (electronic)", f"Name: {name}", f"Date: {date}"):
            pdf.set_x(x)
            pdf.set_font(FONT, "", 9)
            pdf.multi_cell(column, 5, text, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        bottoms.append(pdf.get_y())
    pdf.set_y(max(bottoms) + 4)
    if signature is None and approval.sign_by:
        pdf.paragraph(
            f"To be signed electronically by the Receiving Party on Pitchey no later than "
            f"{_when(approval.sign_by)}; an unsigned approval lapses after that time.",
            size=9,
            align="L",
        )


def _record(pdf: _Document, agreement: Agreement, approval: Approval, signature: Signature | None) -> None:
    rows = [
        ("Agreement reference", agreement.reference),
        ("Approved by", f"{approval.approved_by} (Disclosing Party)"),
        ("Approved at", _when(approval.approved_at)),
    ]
    if signature:
        rows += [
            ("Signed by", f"{signature.signer_name} (Receiving Party)"),
            ("Signed at", _when(signature.signed_at)),
            ("IP address", signature.ip_address),
            ("User agent", signature.user_agent or "(not provided)"),
        ]
    rows.append(("SHA-256 of approved text", agreement.sha256()))
    title = "Electronic signature record" if signature else "Approval record"
    pdf.record(title, rows, small=("SHA-256 of approved text",))
