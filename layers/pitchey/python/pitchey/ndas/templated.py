"""NDA text from a template body (a creator's own or a standard one), pure Python like agreement.py.

Body syntax: a line `# Heading` starts a section; blank lines separate paragraphs (line breaks inside a
paragraph are spaces); text before the first heading is a section named "Terms". Placeholders
`{{project}}`, `{{disclosingParty}}`, `{{receivingParty}}`, `{{effectiveDate}}` are filled in when the
agreement is composed; any other `{{...}}` is refused when the template is saved.

The agreement always opens with the Purpose clause (it names the project and Pitchey) and ends with the
electronic-execution clause that makes the platform's signature binding; the template supplies the rest.
"""

from __future__ import annotations

import re
from datetime import datetime

from pitchey.ndas.agreement import (
    ELECTRONIC_SIGNATURE,
    Agreement,
    Party,
    Section,
    _purpose,
    long_date,
)

PLACEHOLDERS = ("project", "disclosingParty", "receivingParty", "effectiveDate")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_HEADING = re.compile(r"^#{1,3}\s+(.+?)\s*#*\s*$")
UNTITLED = "Terms"


def unknown_placeholders(body: str) -> list[str]:
    """The `{{names}}` in a body that composing would not fill in (sorted, once each)."""
    return sorted({name for name in _PLACEHOLDER.findall(body) if name not in PLACEHOLDERS})


def sections_of(body: str, values: dict[str, str]) -> tuple[Section, ...]:
    """The body's sections with the placeholders filled in; empty sections are dropped."""
    filled = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body.replace("\r\n", "\n"))
    sections: list[tuple[str, list[str]]] = []
    block: list[str] = []

    def end_paragraph() -> None:
        if block:
            if not sections:
                sections.append((UNTITLED, []))
            sections[-1][1].append(" ".join(" ".join(block).split()))
            block.clear()

    for line in filled.split("\n"):
        heading = _HEADING.match(line.strip())
        if heading:
            end_paragraph()
            sections.append((" ".join(heading.group(1).split()), []))
        elif line.strip():
            block.append(line.strip())
        else:
            end_paragraph()
    end_paragraph()
    return tuple(Section(heading, tuple(paragraphs)) for heading, paragraphs in sections if paragraphs)


def party_name(party: Party) -> str:
    return f"{party.name} ({party.company})" if party.company else party.name


def compose_from_template(
    *,
    reference: str,
    nda_type: str,
    template_name: str,
    body: str,
    pitch_title: str,
    effective: datetime,
    disclosing: Party,
    receiving: Party,
) -> Agreement:
    effective_date = long_date(effective)
    values = {
        "project": f'"{pitch_title}"',
        "disclosingParty": party_name(disclosing),
        "receivingParty": party_name(receiving),
        "effectiveDate": effective_date,
    }
    return Agreement(
        reference=reference,
        nda_type=nda_type,
        template_label=template_name,
        pitch_title=pitch_title,
        effective_date=effective_date,
        disclosing=disclosing,
        receiving=receiving,
        sections=(_purpose(pitch_title), *sections_of(body, values), ELECTRONIC_SIGNATURE),
    )
