"""Request bodies for pitches and media. Anything not declared here (ids, owner, counters, status on create,
timestamps, media, canViewProtected) is refused with 422 by InputModel's extra="forbid"."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt

from pitchey.core.errors import ValidationFailed
from pitchey.core.schemas import InputModel
from pitchey.pitches.rules import (
    DEFAULT_MIN_INVESTMENT_CENTS,
    FORMATS,
    GENRES,
    MEDIA_KINDS,
    NDA_TYPES,
    STATUSES,
)

# Literal[tuple] expands to the tuple's members: one vocabulary, defined in rules.
Genre = Literal[GENRES]  # type: ignore[valid-type]
Format = Literal[FORMATS]  # type: ignore[valid-type]
Status = Literal[STATUSES]  # type: ignore[valid-type]
NdaType = Literal[NDA_TYPES]  # type: ignore[valid-type]
MediaKind = Literal[tuple(MEDIA_KINDS)]  # type: ignore[valid-type]

# Money is integer cents: strict ints (no "100", no 1.5, no true), capped well inside DynamoDB's range.
Cents = Annotated[StrictInt, Field(ge=0, le=10**15)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Logline = Annotated[str, Field(min_length=1, max_length=500)]
Theme = Annotated[str, Field(min_length=1, max_length=50)]
ShortText = Annotated[str, Field(max_length=2000)]
LongText = Annotated[str, Field(max_length=20000)]


class _PitchFields(InputModel):
    short_synopsis: ShortText | None = None
    long_synopsis: LongText | None = None
    themes: Annotated[list[Theme], Field(max_length=20)] | None = None
    target_audience: Annotated[str, Field(max_length=1000)] | None = None
    budget_cents: Cents | None = None
    funding_goal_cents: Cents | None = None
    nda_type: NdaType | None = None
    custom_nda_text: LongText | None = None
    nda_template_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class CreatePitch(_PitchFields):
    title: Title
    logline: Logline
    genre: Genre
    format: Format
    seeking_investment: StrictBool = False
    min_investment_cents: Cents = DEFAULT_MIN_INVESTMENT_CENTS
    requires_nda: StrictBool = Field(default=False, alias="requiresNDA")


# These always have a value on a pitch, so null in an update is a mistake rather than "clear it".
NOT_NULLABLE = (
    "title",
    "logline",
    "genre",
    "format",
    "status",
    "seeking_investment",
    "min_investment_cents",
    "requires_nda",
)


class UpdatePitch(_PitchFields):
    """Partial update: only the fields sent change; `null` clears an optional field."""

    title: Title | None = None
    logline: Logline | None = None
    genre: Genre | None = None
    format: Format | None = None
    status: Status | None = None
    seeking_investment: StrictBool | None = None
    min_investment_cents: Cents | None = None
    requires_nda: StrictBool | None = Field(default=None, alias="requiresNDA")

    def changes(self) -> dict[str, object]:
        """camelCase field → new value, for exactly the fields the client sent."""
        sent = self.model_fields_set
        problems = [
            {"field": type(self).model_fields[name].alias or name, "message": "May not be null"}
            for name in NOT_NULLABLE
            if name in sent and getattr(self, name) is None
        ]
        if problems:
            raise ValidationFailed("Request validation failed", details=problems)
        return {type(self).model_fields[name].alias or name: getattr(self, name) for name in sent}


class CreateMedia(InputModel):
    file_name: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[str, Field(min_length=3, max_length=127)]
    size_bytes: Annotated[StrictInt, Field(ge=1)]
    kind: MediaKind
    protected: StrictBool = False
