"""The text of an NDA: parties, pitch, date and numbered sections from the template of its `ndaType`.

Pure Python (no PDF library): the workflow composes the agreement when the NDA is approved, stores it
as JSON and its SHA-256, and the signed version is rendered later from exactly that stored text.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

TEMPLATE_LABELS = {"basic": "Standard terms", "enhanced": "Enhanced terms", "custom": "Creator's terms"}
TERM_YEARS = {"basic": "two (2) years", "enhanced": "five (5) years"}


@dataclass(frozen=True)
class Party:
    name: str
    company: str | None
    role: str  # "Creator", "Investor", "Production company"


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Agreement:
    reference: str
    nda_type: str
    template_label: str
    pitch_title: str
    effective_date: str  # "23 November 2026"
    disclosing: Party
    receiving: Party
    sections: tuple[Section, ...]

    def canonical_text(self) -> str:
        """The approved text, one line per element: what the signature's SHA-256 covers."""
        lines = [
            "NON-DISCLOSURE AGREEMENT",
            f"Reference: {self.reference}",
            f"Template: {self.nda_type}",
            f"Project: {self.pitch_title}",
            f"Effective Date: {self.effective_date}",
            f"Disclosing Party: {_party_line(self.disclosing)}",
            f"Receiving Party: {_party_line(self.receiving)}",
        ]
        for number, section in enumerate(self.sections, start=1):
            lines.append(f"{number}. {section.heading}")
            lines.extend(section.paragraphs)
        return "\n".join(lines)

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_text().encode("utf-8")).hexdigest()

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Agreement:
        data: dict[str, Any] = json.loads(text)
        return cls(
            **{
                **data,
                "disclosing": Party(**data["disclosing"]),
                "receiving": Party(**data["receiving"]),
                "sections": tuple(Section(s["heading"], tuple(s["paragraphs"])) for s in data["sections"]),
            }
        )


@dataclass(frozen=True)
class Approval:
    """The Disclosing Party's approval, shown in both versions of the document."""

    approved_by: str
    approved_at: str  # ISO-8601 UTC
    sign_by: str | None  # the signature deadline, shown on the unsigned version


@dataclass(frozen=True)
class Signature:
    """What the signed version adds: who signed, when and from where."""

    signer_name: str
    signed_at: str  # ISO-8601 UTC
    ip_address: str
    user_agent: str


def _party_line(party: Party) -> str:
    return f"{party.name}{f' ({party.company})' if party.company else ''}, {party.role}"


def long_date(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def compose(
    *,
    reference: str,
    nda_type: str,
    pitch_title: str,
    effective: datetime,
    disclosing: Party,
    receiving: Party,
    custom_text: str | None = None,
) -> Agreement:
    """The agreement for one NDA. `custom` uses the creator's own text as its confidentiality terms; a
    custom NDA whose pitch has no text falls back to the standard terms (and says so in its label)."""
    custom_paragraphs = _paragraphs(custom_text) if nda_type == "custom" else ()
    if custom_paragraphs:
        sections = _custom_sections(pitch_title, custom_paragraphs)
        label = TEMPLATE_LABELS["custom"]
    else:
        sections = _standard_sections(pitch_title, enhanced=nda_type == "enhanced")
        label = TEMPLATE_LABELS["enhanced" if nda_type == "enhanced" else "basic"]
        if nda_type == "custom":
            label += " (the creator has not supplied custom terms)"
    return Agreement(
        reference=reference,
        nda_type=nda_type,
        template_label=label,
        pitch_title=pitch_title,
        effective_date=long_date(effective),
        disclosing=disclosing,
        receiving=receiving,
        sections=sections,
    )


def _paragraphs(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    blocks = [" ".join(block.split()) for block in text.replace("\r\n", "\n").split("\n\n")]
    return tuple(block for block in blocks if block)


# --- clauses -----------------------------------------------------------------------------------------
def _purpose(pitch_title: str) -> Section:
    return Section(
        "Purpose",
        (
            f'The Disclosing Party is the creator of the film or television project titled "{pitch_title}" '
            '(the "Project"), presented on the Pitchey platform. The Receiving Party wishes to review '
            "non-public material about the Project solely to evaluate a possible investment in, or the "
            'production, financing or distribution of, the Project (the "Purpose").',
        ),
    )


DEFINITION = Section(
    "Confidential Information",
    (
        '"Confidential Information" means all non-public information about the Project disclosed by or on '
        "behalf of the Disclosing Party, in any form and whether before or after the Effective Date, "
        "including scripts, treatments, synopses, story lines, characters, formats, budgets, financial "
        "projections, business plans, cast and crew arrangements, and any material presented on Pitchey as "
        "protected, together with all notes, analyses and copies prepared by the Receiving Party that "
        "contain or reflect it.",
    ),
)

OBLIGATIONS = Section(
    "Obligations of the Receiving Party",
    (
        "The Receiving Party shall (a) hold the Confidential Information in strict confidence and protect it "
        "with at least the degree of care it uses for its own confidential information, and no less than "
        "reasonable care; (b) use it only for the Purpose; (c) not disclose it to any third party, except to "
        "its employees and professional advisers who need to know it for the Purpose and are bound by "
        "obligations of confidentiality no less protective than these, for whose compliance the Receiving "
        "Party remains responsible; and (d) not copy, record or reproduce it except as reasonably "
        "necessary for the Purpose.",
    ),
)

EXCLUSIONS = Section(
    "Exclusions",
    (
        "The obligations in this Agreement do not apply to information that the Receiving Party can show "
        "by written records (a) is or becomes publicly available through no fault of the Receiving Party; "
        "(b) was lawfully known to it before disclosure, free of any duty of confidentiality; (c) is "
        "lawfully received from a third party free of any duty of confidentiality; or (d) is independently "
        "developed without use of or reference to the Confidential Information.",
    ),
)

COMPELLED_DISCLOSURE = Section(
    "Compelled Disclosure",
    (
        "If the Receiving Party is required by law, regulation or court order to disclose Confidential "
        "Information, it shall, where legally permitted, give the Disclosing Party prompt written notice, "
        "cooperate with any effort to obtain protective treatment, and disclose only the part that it is "
        "legally required to disclose.",
    ),
)

NON_CIRCUMVENTION = Section(
    "Non-Circumvention",
    (
        "During the term of this Agreement the Receiving Party shall not, directly or through others, use "
        "the Confidential Information to approach, contract with or otherwise deal with any writer, rights "
        "holder, talent, financier or other person identified through the Confidential Information, in "
        "relation to the Project or a project substantially similar to it, without the Disclosing Party's "
        "prior written consent.",
    ),
)

SIMILAR_WORKS = Section(
    "Original Material and Similar Works",
    (
        "The Receiving Party acknowledges that the concept, story, characters and format of the Project are "
        "presented as original material of the Disclosing Party. The Receiving Party shall not develop, "
        "produce or finance any work derived from the Confidential Information. If the Receiving Party is "
        "already developing a work with similar elements, it shall tell the Disclosing Party so in writing "
        "before it reviews the Confidential Information.",
    ),
)

SECURITY = Section(
    "Security and Notice of Unauthorised Disclosure",
    (
        "The Receiving Party shall keep the Confidential Information under reasonable technical and "
        "organisational safeguards, shall not upload it to any public or shared service, and shall notify "
        "the Disclosing Party in writing within forty-eight (48) hours of becoming aware of any "
        "unauthorised access to, or use or disclosure of, the Confidential Information.",
    ),
)


def _term(enhanced: bool) -> Section:
    years = TERM_YEARS["enhanced" if enhanced else "basic"]
    trade_secrets = (
        " and, for any Confidential Information that is a trade secret, for as long as it remains one"
        if enhanced
        else ""
    )
    return Section(
        "Term",
        (
            "This Agreement takes effect on the Effective Date. The obligations of the Receiving Party "
            f"continue for {years} from the Effective Date{trade_secrets}, and survive any earlier end "
            "of the Parties' discussions.",
        ),
    )


RETURN = Section(
    "Return or Destruction",
    (
        "On the Disclosing Party's written request, or when the Receiving Party decides not to pursue the "
        "Purpose, the Receiving Party shall promptly return or destroy all Confidential Information in its "
        "possession or control and confirm in writing that it has done so, except for copies it must keep "
        "by law, which remain subject to this Agreement.",
    ),
)

NO_LICENCE = Section(
    "No Licence and No Obligation",
    (
        "All Confidential Information remains the property of the Disclosing Party. Nothing in this "
        "Agreement grants the Receiving Party any licence or other right in the Project or in any "
        "intellectual property, or obliges either Party to enter into any further agreement or "
        'transaction. Confidential Information is provided "as is".',
    ),
)

REMEDIES = Section(
    "Remedies",
    (
        "Unauthorised use or disclosure of Confidential Information may cause the Disclosing Party "
        "irreparable harm for which damages would not be an adequate remedy. The Disclosing Party is "
        "entitled to seek an injunction or other equitable relief, in addition to any other remedy "
        "available at law.",
    ),
)

ELECTRONIC_SIGNATURE = Section(
    "Electronic Execution and Records",
    (
        "The Parties execute this Agreement electronically on the Pitchey platform. The Disclosing Party's "
        "approval of the Receiving Party's request and the Receiving Party's electronic signature, "
        "recorded with the signer's name, the time of signing, the IP address and the user agent used, "
        "have the same effect as handwritten signatures. The approved text of this Agreement is identified "
        "by its SHA-256 digest, stated in the signature record.",
    ),
)

GENERAL = Section(
    "General",
    (
        "This Agreement is the entire agreement between the Parties about its subject matter and "
        "supersedes all prior understandings about it. It may be amended only in writing signed by both "
        "Parties. If any provision is held unenforceable, the remaining provisions stay in effect. The "
        "Receiving Party may not assign this Agreement without the Disclosing Party's prior written "
        "consent. This Agreement is governed by the laws of the jurisdiction in which the Disclosing Party "
        "ordinarily resides, whose courts have non-exclusive jurisdiction over any dispute arising from it.",
    ),
)


def _standard_sections(pitch_title: str, *, enhanced: bool) -> tuple[Section, ...]:
    extra = (NON_CIRCUMVENTION, SIMILAR_WORKS, SECURITY) if enhanced else ()
    return (
        _purpose(pitch_title),
        DEFINITION,
        OBLIGATIONS,
        EXCLUSIONS,
        COMPELLED_DISCLOSURE,
        *extra,
        _term(enhanced),
        RETURN,
        NO_LICENCE,
        REMEDIES,
        ELECTRONIC_SIGNATURE,
        GENERAL,
    )


def _custom_sections(pitch_title: str, custom: tuple[str, ...]) -> tuple[Section, ...]:
    return (
        _purpose(pitch_title),
        Section("Terms Set by the Disclosing Party", custom),
        Section(
            "Precedence",
            (
                "Section 2 sets out the Disclosing Party's own confidentiality terms and governs the "
                "Parties' obligations about the Project. The other sections apply to the extent they are "
                "consistent with Section 2.",
            ),
        ),
        ELECTRONIC_SIGNATURE,
        GENERAL,
    )


# --- terms set at approval (#21) -------------------------------------------------------------------------
def with_approval_terms(
    agreement: Agreement, *, custom_terms: str | None, access_days: int | None
) -> Agreement:
    """The agreement with what the creator set when approving: their additional terms and the access
    period. Both go before the execution and general clauses, so they are part of the approved text (and
    of its SHA-256) like every other section."""
    added = []
    terms = _paragraphs(custom_terms)
    if terms:
        added.append(Section("Additional Terms Set by the Disclosing Party", terms))
    if access_days:
        added.append(
            Section(
                "Access Period",
                (
                    "The Receiving Party's access on Pitchey to the material presented there as protected "
                    f"ends {access_days} day{'s' if access_days != 1 else ''} after the Receiving Party "
                    "signs this Agreement, when Pitchey closes it. The end of access does not end the "
                    "Receiving Party's obligations under this Agreement.",
                ),
            )
        )
    if not added:
        return agreement
    sections = list(agreement.sections)
    at = sections.index(ELECTRONIC_SIGNATURE) if ELECTRONIC_SIGNATURE in sections else len(sections)
    return replace(agreement, sections=(*sections[:at], *added, *sections[at:]))
