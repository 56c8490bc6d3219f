"""GET /api/pitches/trending: published pitches by the decayed score the aggregation keeps (the sparse
`trending` index, highest first). When fewer than `limit` pitches have a score, the rest come from all-time
popularity, so the list is never empty on a quiet day."""

from __future__ import annotations

from typing import Any

from pitchey.analytics.models import TRENDING_PARTITION, PitchStat
from pitchey.core.db import PageRequest


def trending_pitches(limit: int) -> list[Any]:
    from pitchey.pitches.service import BrowseFilters, browse, find

    ranked = []
    for item in PitchStat.trending.query(TRENDING_PARTITION, scan_index_forward=False, limit=limit * 2 + 10):
        pitch = find(item.pk[2:])
        if pitch is not None and pitch.status == "published":
            ranked.append(pitch)
            if len(ranked) == limit:
                return ranked
    seen = {p.id for p in ranked}
    for pitch in browse(BrowseFilters(sort="popular"), PageRequest(limit=min(100, limit + len(seen)))).items:
        if len(ranked) == limit:
            break
        if pitch.id not in seen:
            ranked.append(pitch)
    return ranked
