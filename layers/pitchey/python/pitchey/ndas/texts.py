"""THE agreement text of an NDA, composed when it is approved (documents.generate stores it and its
SHA-256; the signed copy is rendered from exactly that stored text).

The seam for every rule about what an NDA says: the pitch's default template (issue #21) if it has one
that still exists, else the text of the pitch's `ndaType` (and a `custom` pitch's own text). Terms
the creator adds at approval belong here too.
"""

from __future__ import annotations

from pitchey.core import clock
from pitchey.ndas.agreement import Agreement, Party, compose, with_approval_terms
from pitchey.ndas.models import Nda
from pitchey.ndas.sources import load_party, load_pitch_for_nda
from pitchey.ndas.templated import compose_from_template


def agreement_for(nda: Nda, disclosing: Party) -> Agreement:
    """The pitch's text (its template, else its type's), with the terms set at approval added."""
    access_days = int(nda.access_days) if nda.access_days else None
    return with_approval_terms(
        _pitch_text(nda, disclosing), custom_terms=nda.custom_terms, access_days=access_days
    )


def _pitch_text(nda: Nda, disclosing: Party) -> Agreement:
    pitch = load_pitch_for_nda(nda.pitch_id)
    parts = {
        "reference": nda.id,
        "nda_type": nda.nda_type,
        "pitch_title": nda.pitch_title,
        "effective": clock.from_iso(nda.decided_at),
        "disclosing": disclosing,
        "receiving": load_party(nda.requester_id),
    }
    template = None
    if pitch is not None and pitch.nda_template_id:
        from pitchey.ndas.templates import text_of

        template = text_of(pitch.creator_id, pitch.nda_template_id)  # None: deleted since it was chosen
    if template is not None:
        return compose_from_template(template_name=template.name, body=template.body, **parts)
    return compose(custom_text=pitch.custom_nda_text if pitch else None, **parts)
