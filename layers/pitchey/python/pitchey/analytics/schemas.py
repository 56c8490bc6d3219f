"""Track request bodies: one event, or {"events": [...]} of at most 25."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, field_validator

from pitchey.core.schemas import InputModel

MAX_EVENTS = 25
MAX_METADATA_BYTES = 2048
EVENT_TYPES = (
    "pitch_view",
    "pitch_like",
    "pitch_share",
    "media_play",
    "nda_request",
    "investment_view",
    "search",
    "page_view",
)
# Types about one pitch: they need its id.
PITCH_EVENTS = frozenset(EVENT_TYPES) - {"search", "page_view"}


class TrackEvent(InputModel):
    event_type: Literal[EVENT_TYPES] = Field(alias="eventType")  # type: ignore[valid-type]
    pitch_id: str | None = Field(default=None, min_length=1, max_length=128)
    session_id: str | None = Field(default=None, min_length=1, max_length=128)
    duration_ms: int | None = Field(default=None, ge=0, le=24 * 3600 * 1000)
    metadata: dict[str, Any] | None = None

    @field_validator("duration_ms", mode="before")
    @classmethod
    def _integer(cls, value: Any) -> Any:
        if isinstance(value, bool) or (value is not None and not isinstance(value, int)):
            raise ValueError("must be an integer number of milliseconds")
        return value

    @field_validator("metadata")
    @classmethod
    def _small(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(json.dumps(value)) > MAX_METADATA_BYTES:
            raise ValueError(f"must be at most {MAX_METADATA_BYTES} bytes of JSON")
        return value


class TrackBatch(InputModel):
    events: list[TrackEvent] = Field(min_length=1, max_length=MAX_EVENTS)
