"""Dashboards read aggregates only: the daily items of the caller's own pitches, and the last run's
realtime windows. Another creator's pitch is never read (the pitch list comes from the caller's own index,
and /pitch/{id} of someone else's pitch is 404)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pitchey.analytics.models import AggregatorState, PitchStat
from pitchey.core import clock
from pitchey.core.db import PageRequest

PERIOD_DAYS = {"7d": 7, "30d": 30}
TOP_PITCHES = 10
_OWN_PITCHES_MAX = 1000


def own_pitches(user_id: str) -> list[Any]:
    from pitchey.pitches.service import my_pitches

    pitches, cursor = [], None
    while len(pitches) < _OWN_PITCHES_MAX:
        page = my_pitches(user_id, PageRequest(limit=100, cursor=cursor))
        pitches += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    return pitches


def daily(pitch_id: str, period: str) -> list[PitchStat]:
    today = clock.now().date()
    first = today - timedelta(days=PERIOD_DAYS[period] - 1)
    return list(
        PitchStat.query(
            f"P#{pitch_id}", PitchStat.sk.between(f"D#{first.isoformat()}", f"D#{today.isoformat()}")
        )
    )


def totals(days: list[PitchStat]) -> dict[str, Any]:
    viewers: set[str] = set()
    for day in days:
        viewers |= day.viewers or set()
    views = sum(int(d.views) for d in days)
    likes = sum(int(d.likes) for d in days)
    shares = sum(int(d.shares) for d in days)
    plays = sum(int(d.media_plays) for d in days)
    durations = sum(int(d.durations) for d in days)
    return {
        "views": views,
        "uniqueViewers": len(viewers),
        "likes": likes,
        "shares": shares,
        "mediaPlays": plays,
        "avgViewDurationMs": round(sum(int(d.duration_ms) for d in days) / durations) if durations else None,
        "ndaRequests": sum(int(d.nda_requests) for d in days),
        "ndasSigned": sum(int(d.ndas_signed) for d in days),
        "investments": sum(int(d.investments) for d in days),
        "investmentsPledgedCents": sum(int(d.invested_cents) for d in days),
        "engagementRate": round((likes + shares + plays) / views, 4) if views else 0.0,
        "uniqueViewersExact": not any(d.viewers_capped for d in days),
        "_viewers": viewers,
    }


def dashboard(user_id: str, period: str) -> dict[str, Any]:
    viewers: set[str] = set()
    sums = dict.fromkeys(("views", "likes", "ndaRequests", "ndasSigned", "investmentsPledgedCents"), 0)
    top, exact = [], True
    for pitch in own_pitches(user_id):
        figures = totals(daily(pitch.id, period))
        viewers |= figures["_viewers"]
        exact = exact and figures["uniqueViewersExact"]
        for name in sums:
            sums[name] += figures[name]
        if figures["views"]:
            top.append({"pitchId": pitch.id, "title": pitch.title, "views": figures["views"]})
    top.sort(key=lambda p: (-p["views"], p["pitchId"]))
    return {
        "period": period,
        **sums,
        "uniqueViewers": len(viewers),
        "uniqueViewersExact": exact,
        "topPitches": top[:TOP_PITCHES],
    }


def pitch_analytics(user_id: str, pitch_id: str, period: str) -> dict[str, Any]:
    from pitchey.pitches.service import load_owned

    load_owned(user_id, pitch_id)  # 404 unless it is the caller's
    days = daily(pitch_id, period)
    figures = totals(days)
    del figures["_viewers"]
    return {
        "pitchId": pitch_id,
        "period": period,
        **figures,
        "byDay": [{"date": d.sk[2:], "views": int(d.views)} for d in days if d.views],
        "funnel": {
            "views": figures["uniqueViewers"],
            "ndaRequests": figures["ndaRequests"],
            "ndasSigned": figures["ndasSigned"],
            "investments": figures["investments"],
        },
    }


def realtime(user_id: str) -> dict[str, Any]:
    try:
        state = AggregatorState.get("STATE", "aggregator")
    except AggregatorState.DoesNotExist:
        return {"windowStart": None, "windowEnd": None, "pitches": []}
    keys = [(f"P#{pitch.id}", "RT") for pitch in own_pitches(user_id)]
    pitches = []
    for i in range(0, len(keys), 100):
        for item in PitchStat.batch_get(keys[i : i + 100]):
            if item.window_end == state.window_end and item.views:
                pitches.append(
                    {
                        "pitchId": item.pk[2:],
                        "views": int(item.views),
                        "uniqueViewers": int(item.unique_viewers),
                    }
                )
    pitches.sort(key=lambda p: (-p["views"], p["pitchId"]))
    return {"windowStart": state.window_start, "windowEnd": state.window_end, "pitches": pitches}
