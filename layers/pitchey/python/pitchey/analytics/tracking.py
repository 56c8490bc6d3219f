"""POST /api/analytics/track: validate every event first (one bad event → 422, none stored), then write them
all with one BatchWriteItem.

A viewer (API.md) is the user when the call is authenticated, else the event's sessionId, else the source IP;
only a hash of it is stored. The owner's own pitch_view events are accepted but not stored: a creator looking
at their pitch is not a view (the same rule as the pitch page's view counter).
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import ValidationError

from pitchey.analytics.models import AnalyticsEvent
from pitchey.analytics.schemas import PITCH_EVENTS, TrackBatch, TrackEvent
from pitchey.analytics.service import new_event, now_ms
from pitchey.core.errors import ValidationFailed
from pitchey.core.ratelimit import hit
from pitchey.core.schemas import validation_details
from pitchey.core.settings import settings


def viewer_hash(user_id: str | None, session_id: str | None, source_ip: str) -> str:
    identity = f"user:{user_id}" if user_id else f"session:{session_id}" if session_id else f"ip:{source_ip}"
    return hashlib.sha256(identity.encode()).hexdigest()[:20]


def _field(batched: bool, index: int, name: str) -> str:
    return f"events.{index}.{name}" if batched else name


def parse_events(body: Any) -> tuple[list[TrackEvent], bool]:
    """One event or {"events": [...]}; problems are reported per event as `events.<i>.<field>`."""
    if not isinstance(body, dict):
        raise ValidationFailed.field("body", "Expected an object")
    batched = "events" in body
    try:
        events = TrackBatch.model_validate(body).events if batched else [TrackEvent.model_validate(body)]
    except ValidationError as error:
        raise ValidationFailed("Invalid analytics event", details=validation_details(error)) from None
    problems = [
        {"field": _field(batched, i, "pitchId"), "message": "Required for this event type"}
        for i, event in enumerate(events)
        if event.event_type in PITCH_EVENTS and not event.pitch_id
    ]
    if problems:
        raise ValidationFailed("Invalid analytics event", details=problems)
    return events, batched


def _visible_owners(pitch_ids: set[str], user_id: str | None) -> dict[str, str]:
    """pitch id → creator id, for the pitches the caller may see (published, or their own)."""
    from pitchey.pitches.service import find

    owners = {}
    for pitch_id in pitch_ids:
        pitch = find(pitch_id)
        if pitch is not None and (pitch.status == "published" or pitch.creator_id == user_id):
            owners[pitch_id] = pitch.creator_id
    return owners


def track(body: Any, user_id: str | None, source_ip: str) -> dict[str, Any]:
    hit("track", user_id or f"ip:{source_ip}", settings().track_rate_limit_per_minute)
    events, batched = parse_events(body)
    owners = _visible_owners({e.pitch_id for e in events if e.pitch_id}, user_id)
    unknown = [
        {"field": _field(batched, i, "pitchId"), "message": "No such pitch"}
        for i, event in enumerate(events)
        if event.pitch_id and event.pitch_id not in owners
    ]
    if unknown:
        raise ValidationFailed("Invalid analytics event", details=unknown)
    ms = now_ms()
    items = [
        new_event(
            event.event_type,
            ms,
            pitch_id=event.pitch_id,
            viewer=viewer_hash(user_id, event.session_id, source_ip),
            user_id=user_id,
            session_id=event.session_id,
            duration_ms=event.duration_ms,
            metadata=event.metadata,
        )
        for event in events
        if not (event.event_type == "pitch_view" and user_id and owners.get(event.pitch_id or "") == user_id)
    ]
    with AnalyticsEvent.batch_write() as batch:
        for item in items:
            batch.save(item)
    return {"accepted": len(events), "stored": len(items)}
