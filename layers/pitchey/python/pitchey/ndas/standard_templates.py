"""The three standard NDA templates every creator may use (issue #21): code constants with fixed ids, so
they exist in every deployment without seeding and cannot be edited or deleted (docs/decisions.md).

Bodies use the template syntax of pitchey.ndas.templated: `# Heading` lines start a section, blank lines
separate paragraphs, and `{{project}}`, `{{disclosingParty}}`, `{{receivingParty}}`, `{{effectiveDate}}`
are filled in from the NDA. Pure data: imported by the read-only `ndas.access` (pitches functions).
"""

from __future__ import annotations

from dataclasses import dataclass

# When the standard texts were last revised (shown as createdAt/updatedAt).
REVISED_AT = "2026-12-02T00:00:00Z"


@dataclass(frozen=True)
class StandardTemplate:
    id: str
    name: str
    description: str
    body: str


CONFIDENTIALITY = StandardTemplate(
    "std-confidentiality",
    "Standard confidentiality",
    "A one-way, two-year confidentiality agreement for reviewing a project's protected material.",
    """# Confidential Information
"Confidential Information" means all non-public information about {{project}} that {{disclosingParty}} \
makes available to {{receivingParty}}, in any form, including scripts, treatments, outlines, pitch decks, \
budgets, schedules and business plans, and every note or copy that contains or reflects it.

# Use and Protection
{{receivingParty}} shall keep the Confidential Information secret, use it only to evaluate a possible \
involvement in {{project}}, and protect it with at least the care it gives its own confidential \
information, and never less than reasonable care.

{{receivingParty}} may share Confidential Information only with its employees and professional advisers \
who need it for that evaluation and are bound by duties of confidentiality at least as strict as these. \
{{receivingParty}} is responsible for their compliance.

# What Is Not Confidential
These obligations do not cover information that is or becomes public through no fault of \
{{receivingParty}}, that {{receivingParty}} already lawfully knew, that it lawfully receives from someone \
free to disclose it, or that it develops independently without using the Confidential Information.

# Disclosure Required by Law
If a law, regulator or court requires disclosure, {{receivingParty}} shall, where permitted, tell \
{{disclosingParty}} promptly, help it seek protection, and disclose only what is required.

# Term and Return
These obligations start on {{effectiveDate}} and last two (2) years. On request, or when it decides not \
to go further, {{receivingParty}} shall return or destroy the Confidential Information and confirm that \
in writing, except copies the law requires it to keep, which remain confidential.

# No Rights Granted
The Confidential Information remains the property of {{disclosingParty}}. This Agreement grants no licence \
in {{project}} and does not oblige either party to enter into any further agreement.

# General
This Agreement is the parties' entire agreement on its subject, may be changed only in writing, and is \
governed by the laws of the place where {{disclosingParty}} ordinarily resides. If a provision is \
unenforceable, the rest remains in effect.""",
)

ENTERTAINMENT = StandardTemplate(
    "std-entertainment",
    "Entertainment industry",
    "For producers, studios, agents and talent reviewing creative material: idea protection, "
    "non-solicitation and a three-year term.",
    """# Creative Material
"Creative Material" means the story, characters, settings, format, title, dialogue, artwork, music cues \
and any other creative elements of {{project}}, and "Confidential Information" means the Creative \
Material and every non-public business detail about {{project}} (budgets, financing, attachments of cast \
or crew, distribution plans) that {{disclosingParty}} shares with {{receivingParty}}.

# Purpose and Care
{{receivingParty}} receives the Confidential Information only to consider developing, producing, \
financing, representing or distributing {{project}}. It shall keep it confidential, store it securely, \
not upload it to public or shared services, and limit access to people who need it for that purpose and \
are bound to keep it confidential.

# Protection of Ideas
{{receivingParty}} acknowledges that the Creative Material is presented as the original work of \
{{disclosingParty}} and that its disclosure is made in confidence and in the expectation of credit and \
compensation if it is used. {{receivingParty}} shall not develop, produce or exploit any work based on or \
derived from the Creative Material without a separate written agreement with {{disclosingParty}}.

If {{receivingParty}} is already developing a project with similar elements, it shall say so in writing \
before reviewing the Creative Material, so that independent development can be shown.

# Non-Solicitation and Non-Circumvention
For the term of this Agreement {{receivingParty}} shall not use the Confidential Information to approach \
the writers, rights holders, talent or financiers of {{project}} about {{project}} or a substantially \
similar project, except through or with the written consent of {{disclosingParty}}.

# Publicity
{{receivingParty}} shall make no public statement about {{project}} or its discussions with \
{{disclosingParty}} without prior written consent.

# Exceptions and Compelled Disclosure
The duties above do not apply to information that is public through no fault of {{receivingParty}}, was \
lawfully known to it beforehand, was lawfully received from a third party free to disclose it, or was \
independently created. Disclosure required by law is permitted after prompt notice to \
{{disclosingParty}}, where the law allows it, and only to the extent required.

# Term and Remedies
This Agreement starts on {{effectiveDate}} and its duties last three (3) years; the protection of ideas \
continues for as long as the Creative Material has not become public. A breach may cause harm that money \
cannot repair, so {{disclosingParty}} may seek an injunction in addition to any other remedy.

# General
No licence or obligation to contract arises from this Agreement. It may be amended only in writing, may \
not be assigned by {{receivingParty}} without consent, and is governed by the laws of the place where \
{{disclosingParty}} ordinarily resides.""",
)

FILM_INVESTMENT = StandardTemplate(
    "std-film-investment",
    "Film investment",
    "For investors reviewing a project's financial information: no trading or circumvention, "
    "five-year term, no offer of securities.",
    """# Financial and Project Information
"Confidential Information" means all non-public information about {{project}} that {{disclosingParty}} \
provides to {{receivingParty}}, including budgets, cost reports, financing plans, recoupment waterfalls, \
sales estimates, pre-sales, tax-incentive assumptions, investor lists, term sheets, scripts and \
production schedules, together with every analysis or summary that contains or reflects it.

# Permitted Use
{{receivingParty}} shall use the Confidential Information only to decide whether to invest in, lend to or \
otherwise finance {{project}}. It may share it only with its directors, employees, investment committee \
members and professional advisers who need it for that decision and owe it duties of confidentiality, \
and it is responsible for their compliance.

# No Offer and No Reliance
The Confidential Information is provided for evaluation only. It is not an offer to sell, or a \
solicitation of an offer to buy, any security or interest in {{project}}, and any investment will be made \
only under separate written agreements. Projections are estimates; {{disclosingParty}} gives no warranty \
about their accuracy or completeness, and {{receivingParty}} will rely on its own review and advice.

# Non-Circumvention
For the term of this Agreement {{receivingParty}} shall not use the Confidential Information to deal \
directly with the co-financiers, sales agents, distributors, lenders or talent of {{project}} about \
{{project}}, or to finance a substantially similar project, without the written consent of \
{{disclosingParty}}.

# Exceptions and Compelled Disclosure
These duties do not apply to information that is public through no fault of {{receivingParty}}, that it \
lawfully knew beforehand or lawfully received from a third party free to disclose it, or that it \
developed independently. If a law, regulator or stock exchange requires disclosure, {{receivingParty}} \
shall, where permitted, notify {{disclosingParty}} first and disclose only what is required.

# Term, Return and Remedies
This Agreement starts on {{effectiveDate}} and its duties last five (5) years. On request {{receivingParty}} \
shall return or destroy the Confidential Information, except copies it must keep under law or its \
regulatory record-keeping rules, which stay confidential. {{disclosingParty}} may seek an injunction for a \
threatened or actual breach, in addition to damages.

# General
This Agreement creates no partnership, agency or obligation to invest. It is the entire agreement on its \
subject, may be changed only in writing, and is governed by the laws of the place where \
{{disclosingParty}} ordinarily resides.""",
)

STANDARD: tuple[StandardTemplate, ...] = (CONFIDENTIALITY, ENTERTAINMENT, FILM_INVESTMENT)
BY_ID = {template.id: template for template in STANDARD}
