"""The analytics context's public entry points.

The server-side hook other contexts call when something really happens to a pitch, `record` (an NDA
requested or signed, a like given, an investment created), lives with the event item in
`pitchey.analytics.models`: it is one write of data, and contexts that analytics itself reads (pitches)
may import a data module without making a cycle. It is re-exported here.
"""

from __future__ import annotations

from typing import Any

from pitchey.analytics.models import (  # noqa: F401 (re-exported: the hook and the event helpers)
    INVESTMENT_CREATED,
    LIKE_GIVEN,
    NDA_REQUESTED,
    NDA_SIGNED,
    SERVER_EVENTS,
    bucket_of,
    minute_of,
    new_event,
    now_ms,
    record,
)


def trending_pitches(limit: int) -> list[Any]:
    """The published pitches with the highest decayed trending score (see analytics.trending)."""
    from pitchey.analytics.trending import trending_pitches as ranked

    return ranked(limit)
