"""The house style of Pitchey's PDF documents (fpdf2): A4, DejaVu Serif (PdfFontsLayer, so any Latin,
Greek or Cyrillic name renders exactly as the user wrote it), a footer with the document's reference.

Imported only by the document renderers (ndas/pdf.py, investments/pdf.py), which run only in the document
functions: the only functions that ship fpdf2.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from pitchey.core import clock
from pitchey_fonts import FONT_DIR  # layers/fonts: only the document functions have that layer

FONT = "DejaVuSerif"
TEXT_SIZE = 10.5
LINE = 5.2
INK = (20, 20, 20)
MUTED = (95, 95, 95)
RULE = (150, 150, 150)
NEXT_LINE = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
NEXT_BELOW = {"new_x": XPos.LEFT, "new_y": YPos.NEXT}


def when(iso_text: str) -> str:
    moment = clock.from_iso(iso_text)
    return f"{moment.day} {moment:%B %Y}, {moment:%H:%M:%S} UTC"


class Document(FPDF):
    """`footer_label` names the document in the footer ("Pitchey NDA <reference>")."""

    def __init__(self, footer_label: str) -> None:
        super().__init__(format="A4", unit="mm")
        self.footer_label = footer_label
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
        self.cell(width, 5, self.footer_label, align="L")
        self.cell(width, 5, "Confidential", align="C")
        self.cell(width, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(*INK)

    def heading(self, title: str, project: str, line: str) -> None:
        """The document's title, its project, a small line (type, state, reference), then a rule."""
        self.set_font(FONT, "B", 18)
        self.cell(0, 10, title, align="C", **NEXT_LINE)
        self.set_font(FONT, "", 11.5)
        self.multi_cell(0, 6, f'Project: "{project}"', align="C", **NEXT_LINE)
        self.set_font(FONT, "I", 9)
        self.set_text_color(*MUTED)
        self.cell(0, 6, line, align="C")
        self.set_text_color(*INK)
        self.ln(6)
        self.rule(3)

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

    def party_columns(self, parties: list[tuple[str, str, str | None, str]]) -> None:
        """Side-by-side boxes, one per (title, name, company, role), then a rule."""
        top = self.get_y()
        column = (self.epw - 8 * (len(parties) - 1)) / len(parties)
        bottoms = []
        for index, (title, name, company, role) in enumerate(parties):
            x = self.l_margin + index * (column + 8)
            self.set_xy(x, top)
            self.set_font(FONT, "B", 8.5)
            self.set_text_color(*MUTED)
            self.cell(column, 5, title.upper(), **NEXT_BELOW)
            self.set_text_color(*INK)
            self.set_font(FONT, "B", 11)
            self.multi_cell(column, 5.6, name, **NEXT_BELOW)
            self.set_font(FONT, "", 10)
            if company:
                self.set_x(x)
                self.multi_cell(column, 5.2, company, **NEXT_BELOW)
            self.set_x(x)
            self.multi_cell(column, 5.2, f"{role}, registered on Pitchey", **NEXT_BELOW)
            bottoms.append(self.get_y())
        self.set_y(max(bottoms))
        self.rule(3)

    def record(self, title: str, rows: list[tuple[str, str]], small: tuple[str, ...] = ()) -> None:
        """A key/value table (e.g. the electronic signature record). Keys in `small` get smaller type so a
        long value (a digest) stays on one line and can be compared as one string."""
        self.keep_space(12 + 6 * len(rows))
        self.ln(2)
        self.label(title)
        self.set_draw_color(*RULE)
        for key, value in rows:
            self.set_font(FONT, "B", 8.5)
            self.cell(48, 5, key)
            self.set_font(FONT, "", 7.5 if key in small else 8.5)
            self.multi_cell(0, 5, value, align="L", **NEXT_LINE)
            self.line(self.l_margin, self.get_y() + 0.6, self.w - self.r_margin, self.get_y() + 0.6)
            self.ln(1.2)
