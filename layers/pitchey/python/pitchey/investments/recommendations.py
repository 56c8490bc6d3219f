"""`GET /api/investment/recommendations`: published pitches seeking investment that the investor has not
invested in, ranked by what the investor has shown interest in, each with its reasons in words.

Candidates: the newest published pitches seeking investment (one Query on `published`, read budget capped),
the pitches the investor follows, the published pitches of creators they follow, and pitches they signed an
NDA for. Signals and weights:

    follows the pitch          +4   "You follow this pitch"
    signed its NDA             +3   "You signed its NDA"
    follows its creator        +3   "You follow its creator"
    genre of past investments  +2   "You have invested in 2 drama pitches"
    format of past investments +1   "Matches the feature format of your past investments"
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pitchey.core.db import PageRequest, query_page
from pitchey.investments.models import Investment
from pitchey.pitches.models import PUBLISHED_PARTITION, Pitch

CANDIDATE_BUDGET = 200  # newest published pitches read per request (filtered on seekingInvestment)
SOURCES_LIMIT = 50  # follows / NDAs considered
PER_CREATOR = 10
FORMAT_LABELS = {"tv": "TV", "webseries": "web series"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word} pitch" + ("es" if count != 1 else "")


def _batch(ids: list[str]) -> list[Pitch]:
    return list(Pitch.batch_get(list(dict.fromkeys(ids)))) if ids else []


def recommend(investor_id: str, limit: int) -> list[dict[str, Any]]:
    from pitchey.follows.models import followed_targets
    from pitchey.ndas.access import signed_pitch_ids
    from pitchey.pitches.service import render

    invested = {i.pitch_id for i in Investment.by_investor.query(investor_id, attributes_to_get=["pitchId"])}
    past = _batch(list(invested))
    genres = Counter(p.genre for p in past)
    formats = Counter(p.format for p in past)
    follows = followed_targets(investor_id, SOURCES_LIMIT)
    followed_pitches = {f.target_id for f in follows if f.target_type == "pitch"}
    followed_creators = {f.target_id for f in follows if f.target_type == "user"}
    signed = set(signed_pitch_ids(investor_id, SOURCES_LIMIT))

    candidates: dict[str, Pitch] = {}
    seeking = Pitch.seeking_investment == True  # noqa: E712 (a DynamoDB condition)
    newest = query_page(
        Pitch,
        lambda **kw: Pitch.published.query(
            PUBLISHED_PARTITION, scan_index_forward=False, filter_condition=seeking, **kw
        ),
        ("id", "pubKey", "publishedAt"),
        page=PageRequest(limit=100),
        scope="recommendations",
        filtered=True,
        read_budget=CANDIDATE_BUDGET,
    )
    for pitch in newest.items:
        candidates[pitch.id] = pitch
    for creator_id in list(followed_creators)[:SOURCES_LIMIT]:
        by_creator = Pitch.published_by_creator.query(creator_id, scan_index_forward=False, limit=PER_CREATOR)
        for pitch in by_creator:
            candidates[pitch.id] = pitch
    for pitch in _batch(list(followed_pitches | signed)):
        candidates[pitch.id] = pitch

    ranked = []
    for pitch in candidates.values():
        if (
            pitch.status != "published"
            or not pitch.seeking_investment
            or pitch.id in invested
            or pitch.creator_id == investor_id
        ):
            continue
        score, reasons = 0, []
        if pitch.id in followed_pitches:
            score, reasons = score + 4, [*reasons, "You follow this pitch"]
        if pitch.id in signed:
            score, reasons = score + 3, [*reasons, "You signed its NDA"]
        if pitch.creator_id in followed_creators:
            score, reasons = score + 3, [*reasons, "You follow its creator"]
        if genres[pitch.genre]:
            score += 2
            reasons.append(f"You have invested in {_plural(genres[pitch.genre], pitch.genre)}")
        if formats[pitch.format]:
            score += 1
            label = FORMAT_LABELS.get(pitch.format, pitch.format)
            reasons.append(f"Matches the {label} format of your past investments")
        if not reasons:
            reasons.append("Recently published and seeking investment")
        ranked.append((score, pitch.published_at or "", pitch, reasons))
    ranked.sort(key=lambda row: (row[0], row[1]), reverse=True)
    return [
        {"pitch": render(pitch, investor_id), "score": score, "reasons": reasons}
        for score, _, pitch, reasons in ranked[:limit]
    ]
