"""What the NDA context reads from other contexts: the pitch an NDA is about, and the parties' names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pitchey.ndas.agreement import Party


@dataclass(frozen=True)
class PitchForNda:
    id: str
    creator_id: str
    title: str
    status: str
    requires_nda: bool
    nda_type: str
    custom_nda_text: str | None
    nda_template_id: str | None = None


def load_pitch_for_nda(pitch_id: str) -> PitchForNda | None:
    """The pitch as the NDA rules need it, or None if it does not exist. One GetItem."""
    from pitchey.pitches.models import Pitch

    try:
        pitch = Pitch.get(pitch_id)
    except Pitch.DoesNotExist:
        return None
    return PitchForNda(
        id=pitch.id,
        creator_id=pitch.creator_id,
        title=pitch.title,
        status=pitch.status,
        requires_nda=bool(pitch.requires_nda),
        nda_type=pitch.nda_type or "basic",
        custom_nda_text=pitch.custom_nda_text,
        nda_template_id=pitch.nda_template_id,
    )


def load_party(user_id: str) -> Party:
    """A party as the document names it (users.service.party, in the NDA text's own type)."""
    from pitchey.ndas.agreement import Party  # the document's text module: only the workflow needs it
    from pitchey.users.service import party

    found = party(user_id)
    return Party(name=found.name, company=found.company, role=found.role)
