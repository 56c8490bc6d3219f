"""Trending pitches. The one entry point the analytics work re-implements from its aggregates.

Until then: the published pitches of the last 30 days (one Query on `published`, newest first, at most 300)
ranked by their view and like counters; when fewer than `limit` are that recent, the rest come from the
all-time `popular` index.
"""

from __future__ import annotations

from datetime import timedelta

from pitchey.core import clock
from pitchey.pitches import rules
from pitchey.pitches.models import PUBLISHED_PARTITION, Pitch

WINDOW = timedelta(days=30)
CANDIDATES = 300


def score(pitch: Pitch) -> int:
    return pitch.view_count * rules.VIEW_WEIGHT + pitch.like_count * rules.LIKE_WEIGHT


def trending_pitches(limit: int) -> list[Pitch]:
    since = clock.iso_precise(clock.now() - WINDOW)
    recent = Pitch.published.query(
        PUBLISHED_PARTITION, Pitch.published_at >= since, scan_index_forward=False, limit=CANDIDATES
    )
    ranked = sorted(recent, key=lambda p: (score(p), p.published_at), reverse=True)[:limit]
    if len(ranked) < limit:
        seen = {p.id for p in ranked}
        popular = Pitch.popular.query(PUBLISHED_PARTITION, scan_index_forward=False, limit=limit + len(seen))
        for pitch in popular:
            if len(ranked) == limit:
                break
            if pitch.id not in seen:
                ranked.append(pitch)
    return ranked
