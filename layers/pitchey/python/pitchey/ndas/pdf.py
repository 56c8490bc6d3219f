"""NDA documents as PDF (fpdf2). Imported only by the document function (functions/ndas/documents/),
which is the only one that ships fpdf2: every other function stays light.

DejaVu Serif (bundled in fonts/) renders any Latin, Greek or Cyrillic name exactly as the user wrote it.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from pitchey.core import clock
from pitchey.ndas.agreement import Agreement, Approval, Party, Signature

FONT = "DejaVuSerif"
FONT_DIR = Path(__file__).resolve().parent / "fonts"
TEXT_SIZE = 10.5
LINE = 5.2
INK = (20, 20, 20)
MUTED = (95, 95, 95)
RULE = (150, 150, 150)
NEXT_LINE = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}


def _when(iso_text: str) -> str:
    moment = clock.from_iso(iso_text)
    return f"{moment.day} {moment:%B %Y}, {moment:%H:%M:%S} UTC"


class _Document(FPDF):
    def __init__(self, reference: str) -> None:
        super().__init__(format="A4", unit="mm")
        self.reference = reference
        self.set_margins(22, 20, 22)
        self.set_auto_page_break(auto=True, margin=20)
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSerif.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSerif-Bold.ttf"))
        self.add_font(FONT, "I", str(FONT_DIR / "DejaVuSerif-Italic.ttf"))
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        width = self.epw / 3
        self.cell(width, 5, f"Pitchey NDA {self.reference}", align="L")
        self.cell(width, 5, "Confidential", align="C")
        self.cell(width, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(*INK)

    def rule(self, gap: float = 3) -> None:
        self.ln(gap)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(gap)

    def label(self, text: str) -> None:
        self.set_font(FONT, "B", 8.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, text.upper(), **NEXT_LINE)
        self.set_text_color(*INK)

    def paragraph(self, text: str, style: str = "", size: float = TEXT_SIZE, align: str = "J") -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, LINE, text, align=align, **NEXT_LINE)

    def keep_space(self, height: float) -> None:
        """Start a new page unless `height` mm still fit, so a block is never split."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()


def render(agreement: Agreement, approval: Approval, signature: Signature | None = None) -> bytes:
    """The approved version (signature lines blank) or, with `signature`, the signed version."""
    pdf = _Document(agreement.reference)
    pdf.set_title(f"Non-Disclosure Agreement - {agreement.pitch_title}")
    pdf.set_author("Pitchey")
    pdf.set_subject(f"NDA {agreement.reference} ({'signed' if signature else 'approved, unsigned'})")
    pdf.add_page()

    _title(pdf, agreement, signed=signature is not None)
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


def _title(pdf: _Document, agreement: Agreement, *, signed: bool) -> None:
    pdf.set_font(FONT, "B", 18)
    pdf.cell(0, 10, "NON-DISCLOSURE AGREEMENT", align="C", **NEXT_LINE)
    pdf.set_font(FONT, "", 11.5)
    pdf.multi_cell(0, 6, f'Project: "{agreement.pitch_title}"', align="C", **NEXT_LINE)
    pdf.set_font(FONT, "I", 9)
    pdf.set_text_color(*MUTED)
    state = "Executed copy" if signed else "Approved for signature"
    pdf.cell(0, 6, f"{agreement.template_label}  ·  {state}  ·  Reference {agreement.reference}", align="C")
    pdf.set_text_color(*INK)
    pdf.ln(6)
    pdf.rule(3)


def _parties(pdf: _Document, agreement: Agreement) -> None:
    top = pdf.get_y()
    column = (pdf.epw - 8) / 2
    bottoms = []
    for index, (title, party) in enumerate(
        (("Disclosing Party", agreement.disclosing), ("Receiving Party", agreement.receiving))
    ):
        pdf.set_xy(pdf.l_margin + index * (column + 8), top)
        bottoms.append(_party_box(pdf, title, party, column))
    pdf.set_y(max(bottoms))
    pdf.rule(3)


def _party_box(pdf: _Document, title: str, party: Party, width: float) -> float:
    x = pdf.get_x()
    pdf.set_font(FONT, "B", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(width, 5, title.upper(), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(width, 5.6, party.name, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    if party.company:
        pdf.set_x(x)
        pdf.multi_cell(width, 5.2, party.company, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_x(x)
    pdf.multi_cell(width, 5.2, f"{party.role}, registered on Pitchey", new_x=XPos.LEFT, new_y=YPos.NEXT)
    return pdf.get_y()


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
    pdf.keep_space(12 + 6 * len(rows))
    pdf.ln(2)
    pdf.label("Electronic signature record" if signature else "Approval record")
    pdf.set_draw_color(*RULE)
    key_width = 48
    for key, value in rows:
        pdf.set_font(FONT, "B", 8.5)
        pdf.cell(key_width, 5, key)
        # The digest is kept on one line (smaller type) so it can be read and compared as one string.
        pdf.set_font(FONT, "", 7.5 if key.startswith("SHA-256") else 8.5)
        pdf.multi_cell(0, 5, value, align="L", **NEXT_LINE)
        pdf.line(pdf.l_margin, pdf.get_y() + 0.6, pdf.w - pdf.r_margin, pdf.get_y() + 0.6)
        pdf.ln(1.2)
