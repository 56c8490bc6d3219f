"""Pitch business rules that need no storage: vocabularies, the status lifecycle, publish requirements."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GENRES = (
    "drama",
    "comedy",
    "thriller",
    "horror",
    "scifi",
    "fantasy",
    "documentary",
    "animation",
    "action",
    "romance",
    "other",
)
FORMATS = ("feature", "tv", "short", "webseries", "other")
STATUSES = ("draft", "published", "hidden", "archived")
NDA_TYPES = ("basic", "enhanced", "custom")

DEFAULT_MIN_INVESTMENT_CENTS = 100_000

# draft → published, published ↔ hidden, anything → archived; archived is final.
_MOVES = {("draft", "published"), ("published", "hidden"), ("hidden", "published")}


def can_transition(current: str, target: str) -> bool:
    """Whether a pitch in `current` may move to `target` (staying put is not a move)."""
    if current not in STATUSES or target not in STATUSES or current == target:
        return False
    if target == "archived":
        return True
    return (current, target) in _MOVES


def publish_problems(state: Mapping[str, Any]) -> list[dict[str, str]]:
    """What a pitch (camelCase field → value) lacks to be published, as 422 `details`."""
    problems = [
        {"field": field, "message": "Required to publish"}
        for field in ("title", "logline", "genre", "format", "shortSynopsis")
        if not state.get(field)
    ]
    problems.extend(funding_problems(state))
    return problems


def funding_problems(state: Mapping[str, Any]) -> list[dict[str, str]]:
    if state.get("seekingInvestment") and not (state.get("fundingGoalCents") or 0) > 0:
        return [{"field": "fundingGoalCents", "message": "Must be greater than 0 when seeking investment"}]
    return []


# Popularity (sort key of the `popular` index) is kept in step with the counters by the same atomic ADD.
VIEW_WEIGHT = 1
LIKE_WEIGHT = 5
FOLLOW_WEIGHT = 3

# Media: what each kind accepts and how large it may be.
MB = 1024 * 1024
_DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "text/plain",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
)
_SLIDE_TYPES = frozenset(
    {
        "application/pdf",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.apple.keynote",
    }
)
MEDIA_KINDS: dict[str, tuple[frozenset[str], int]] = {
    "image": (frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}), 10 * MB),
    "video": (frozenset({"video/mp4", "video/quicktime", "video/webm", "video/x-matroska"}), 500 * MB),
    "script": (_DOCUMENT_TYPES | {"application/x-final-draft", "application/xml"}, 50 * MB),
    "deck": (_SLIDE_TYPES, 50 * MB),
    "other": (
        _DOCUMENT_TYPES
        | _SLIDE_TYPES
        | {
            "text/csv",
            "application/vnd.ms-excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
        50 * MB,
    ),
}
MAX_MEDIA_PER_PITCH = 50


def media_problems(kind: str, content_type: str, size_bytes: int) -> list[dict[str, str]]:
    allowed, max_bytes = MEDIA_KINDS[kind]
    problems = []
    if content_type.lower() not in allowed:
        problems.append(
            {
                "field": "contentType",
                "message": f"Not accepted for {kind}: use one of {', '.join(sorted(allowed))}",
            }
        )
    if size_bytes > max_bytes:
        problems.append({"field": "sizeBytes", "message": f"{kind} files may be at most {max_bytes} bytes"})
    return problems
