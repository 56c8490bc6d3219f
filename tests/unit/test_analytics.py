"""Analytics: the aggregation math (pure) and the track → aggregate → dashboard path against moto."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pitchey.analytics import aggregation, aggregator
from pitchey.analytics.aggregation import Contribution
from pitchey.analytics.models import AnalyticsEvent, PitchStat
from pitchey.analytics.service import new_event, now_ms
from pitchey.notifications.models import Notification
from tests.unit.accounts import make_user
from tests.unit.pitches_support import hit, published_pitch


# --- the math ---------------------------------------------------------------------------------------------
def event(kind: str, ms: int, pitch: str = "p1", **extra):
    return {"sk": f"{ms:013d}#x", "type": kind, "pitchId": pitch, **extra}


MINUTE = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def test_contributions_count_per_pitch_and_minute_and_ignore_client_claims():
    events = [
        event("pitch_view", MINUTE, viewer="a", durationMs=1000),
        event("pitch_view", MINUTE + 5, viewer="a", durationMs=3000),
        event("pitch_view", MINUTE + 60_000, viewer="b"),
        event("pitch_like", MINUTE),  # what a client says: not a like
        event("like_given", MINUTE),
        event("investment_created", MINUTE, amountCents=250_000),
        event("pitch_view", MINUTE, pitch="p2", viewer="c"),
        {"sk": f"{MINUTE:013d}#y", "type": "search", "pitchId": None},
    ]
    result = aggregation.contributions(events)
    first = result["p1"]["202601010000"]
    assert first.n == 5
    assert first.counts["views"] == 2 and first.viewers == {"a"}
    assert first.counts["durationMs"] == 4000 and first.counts["durations"] == 2
    assert first.counts["likes"] == 1 and first.counts["investments"] == 1
    assert first.counts["investedCents"] == 250_000
    assert result["p1"]["202601010001"].counts["views"] == 1
    assert set(result) == {"p1", "p2"}
    items = aggregation.by_aggregate(result)
    assert set(items[("P#p1", "H#2026010100")]) == {"202601010000", "202601010001"}
    assert set(items[("P#p1", "D#2026-01-01")]) == {"202601010000", "202601010001"}


def test_a_reread_minute_adds_only_what_is_new_and_a_rerun_adds_nothing():
    first = Contribution()
    for e in [event("pitch_view", MINUTE, viewer="a"), event("pitch_view", MINUTE, viewer="b")]:
        first.add(e)
    change = aggregation.change_for(None, {"202601010000": first})
    assert change.deltas == {"views": 2} and change.expected == {"202601010000": None}
    stored = {"202601010000": first.stored()}
    assert aggregation.change_for(stored, {"202601010000": first}) is None  # re-run
    later = Contribution()
    for e in [event("pitch_view", MINUTE, viewer=v) for v in "abc"]:
        later.add(e)
    change = aggregation.change_for(stored, {"202601010000": later})
    assert change.deltas == {"views": 1} and change.expected == {"202601010000": 2}
    # an older (smaller) read never takes anything back
    assert aggregation.change_for({"202601010000": later.stored()}, {"202601010000": first}) is None


def test_trend_score_decays_by_half_per_day_and_spike_needs_five_times_the_trailing_average():
    now = datetime(2026, 1, 2, 0, 30, tzinfo=UTC)
    fresh = aggregation.trend_score({"2026010200": {"views": 10}}, now)
    day_old = aggregation.trend_score({"2026010100": {"views": 10}}, now)
    assert fresh == pytest.approx(10) and day_old == pytest.approx(5)
    assert aggregation.trend_score({"2025122900": {"views": 10}}, now) == 0  # past the 72 h horizon
    assert aggregation.trend_score({"2026010200": {"likes": 1}}, now) == pytest.approx(3)
    quiet = {f"202601011{h}": 2 for h in range(10)}  # 20 views in the 24 h before: average 0.83
    assert aggregation.spike({**quiet, "2026010200": 5}, "2026010200") is None  # under the minimum
    assert aggregation.spike({**quiet, "2026010200": 12}, "2026010200") == (12, pytest.approx(20 / 24))
    busy = {f"2026010{d}{h:02d}": 3 for d in (1,) for h in range(24)}
    assert aggregation.spike({**busy, "2026010200": 14}, "2026010200") is None  # 14 < 5 x 3


# --- through the handlers ---------------------------------------------------------------------------
def track(body, actor=None, ip="198.51.100.7"):
    return hit("analytics/track", "POST", "/api/analytics/track", actor, body=body, source_ip=ip)


def pitch_figures(actor, pitch_id, period="30d"):
    answer = hit("analytics/pitch", "GET", "/", actor, path_params={"id": pitch_id}, query={"period": period})
    return answer


def dashboard(actor, **query):
    return hit("analytics/dashboard", "GET", "/api/analytics/dashboard", actor, query=query or None)


@pytest.fixture
def world(aws):
    creator = make_user("creator")
    rival = make_user("creator")
    fan = make_user("investor")
    pitch = published_pitch(creator, title="Mine")
    other = published_pitch(rival, title="Theirs")
    return {"creator": creator, "rival": rival, "fan": fan, "pitch": pitch, "other": other}


def test_track_aggregate_and_dashboards_are_exact_and_a_rerun_changes_nothing(world):
    pitch, other = world["pitch"]["id"], world["other"]["id"]
    view = {"eventType": "pitch_view", "pitchId": pitch}
    assert track({**view, "durationMs": 4000}, world["fan"]).status == 202  # viewer: the user
    assert track({**view, "durationMs": 2000}, world["fan"]).status == 202
    assert track({**view, "sessionId": "s-1"}).status == 202  # viewer: the session
    assert track({**view, "sessionId": "s-1"}, ip="203.0.113.9").status == 202
    assert track({"events": [view, view]}, ip="203.0.113.50").status == 202  # viewer: the IP
    assert track({"eventType": "pitch_share", "pitchId": pitch}).status == 202
    assert track({"eventType": "pitch_like", "pitchId": pitch}).status == 202  # not a like
    assert track({"eventType": "pitch_view", "pitchId": other}).status == 202
    assert track(view, world["creator"]).data == {"accepted": 1, "stored": 0}  # own view
    hit("pitches/like", "POST", "/", world["fan"], path_params={"id": pitch})
    hit("pitches/like", "POST", "/", world["fan"], path_params={"id": pitch})  # idempotent: one like

    first = aggregator.run()
    assert first["events"] == 10
    mine = pitch_figures(world["creator"], pitch).data
    assert mine["views"] == 6 and mine["uniqueViewers"] == 3
    assert mine["likes"] == 1 and mine["shares"] == 1
    assert mine["avgViewDurationMs"] == 3000
    assert mine["byDay"] == [{"date": datetime.now(UTC).date().isoformat(), "views": 6}]
    assert mine["funnel"] == {"views": 3, "ndaRequests": 0, "ndasSigned": 0, "investments": 0}
    assert mine["engagementRate"] == round(2 / 6, 4)
    board = dashboard(world["creator"], period="7d").data
    assert board["views"] == 6 and board["uniqueViewers"] == 3 and board["likes"] == 1
    assert board["topPitches"] == [{"pitchId": pitch, "title": "Mine", "views": 6}]
    realtime = hit("analytics/realtime", "GET", "/", world["creator"]).data
    assert realtime["pitches"] == [{"pitchId": pitch, "views": 6, "uniqueViewers": 3}]

    second = aggregator.run()
    assert second["aggregatesChanged"] == 0
    assert pitch_figures(world["creator"], pitch).data == mine
    assert dashboard(world["creator"], period="7d").data == board


def test_another_creators_pitch_is_404_and_never_in_my_dashboard(world):
    track({"eventType": "pitch_view", "pitchId": world["other"]["id"]})
    aggregator.run()
    assert pitch_figures(world["creator"], world["other"]["id"]).status == 404
    assert pitch_figures(world["fan"], world["other"]["id"]).status == 404
    assert dashboard(world["creator"]).data["views"] == 0
    assert dashboard(world["creator"]).data["topPitches"] == []
    assert hit("analytics/realtime", "GET", "/", world["creator"]).data["pitches"] == []
    assert dashboard(world["fan"]).status == 403
    assert dashboard(world["creator"], period="1y").status == 400


@pytest.mark.parametrize(
    "body",
    [
        {"eventType": "pitch_click", "pitchId": "x"},
        {"eventType": "pitch_view"},  # a pitch event without its pitch
        {"eventType": "pitch_view", "pitchId": "nope"},  # no such pitch
        {"eventType": "search", "durationMs": -1},
        {"eventType": "search", "durationMs": "12"},
        {"eventType": "search", "userId": "someone"},  # unknown / server-owned field
        {"eventType": "search", "metadata": {"blob": "x" * 3000}},
        {"events": []},
        {"events": [{"eventType": "search"}] * 26},
        ["not", "an", "object"],
    ],
)
def test_invalid_events_are_422_and_nothing_of_the_batch_is_stored(world, body):
    if isinstance(body, dict) and "events" not in body and body.get("pitchId") == "x":
        body = {**body, "pitchId": world["pitch"]["id"]}
    answer = track(body)
    assert answer.status == 422, answer.body
    batch = {"events": [{"eventType": "pitch_view", "pitchId": world["pitch"]["id"]}, body]}
    if isinstance(body, dict) and "events" not in body:
        assert track(batch).status == 422
    assert aggregator.run()["events"] == 0


def test_a_late_event_in_an_aggregated_minute_is_counted_once_and_one_past_the_window_is_not(world):
    pitch = world["pitch"]["id"]
    track({"eventType": "pitch_view", "pitchId": pitch})
    aggregator.run()
    ms = now_ms()
    late = new_event("pitch_view", ms - 240_000, pitch_id=pitch, viewer="late")  # 4 minutes ago
    late.save()
    too_late = new_event("pitch_view", ms - 3 * 3600_000, pitch_id=pitch, viewer="old")
    too_late.save()
    aggregator.run()
    aggregator.run()
    figures = pitch_figures(world["creator"], pitch).data
    assert figures["views"] == 2 and figures["uniqueViewers"] == 2


def test_a_crash_mid_run_loses_nothing_and_counts_nothing_twice(world, monkeypatch):
    pitch, other = world["pitch"]["id"], world["other"]["id"]
    for _ in range(3):
        track({"events": [{"eventType": "pitch_view", "pitchId": p} for p in (pitch, other)]})
    real_apply, calls = aggregator.apply, []

    def crash_after_two(*args, **kwargs):
        if len(calls) == 2:
            raise RuntimeError("killed")
        calls.append(1)
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(aggregator, "apply", crash_after_two)
    with pytest.raises(RuntimeError):
        aggregator.run()
    monkeypatch.setattr(aggregator, "apply", real_apply)
    aggregator.run()
    assert pitch_figures(world["creator"], pitch).data["views"] == 3
    assert pitch_figures(world["rival"], other).data["views"] == 3
    hour = datetime.now(UTC).strftime("%Y%m%d%H")
    assert PitchStat.get(f"P#{pitch}", f"H#{hour}").views == 3


def test_server_hook_counts_likes_given_not_likes_claimed(world):
    pitch = world["pitch"]["id"]
    for _ in range(3):
        hit("pitches/like", "POST", "/", make_user("investor"), path_params={"id": pitch})
    track({"events": [{"eventType": "pitch_like", "pitchId": pitch}] * 5})
    aggregator.run()
    assert pitch_figures(world["creator"], pitch).data["likes"] == 3
    assert [e.type for e in AnalyticsEvent.scan() if e.source == "server"] == ["like_given"] * 3


def test_a_views_spike_notifies_the_creator_once(world):
    pitch = world["pitch"]["id"]
    ips = [f"203.0.113.{i}" for i in range(12)]
    for ip in ips:
        track({"eventType": "pitch_view", "pitchId": pitch}, ip=ip)
    assert aggregator.run()["alerts"] == 1
    track({"eventType": "pitch_view", "pitchId": pitch})
    assert aggregator.run()["alerts"] == 0
    notes = [n for n in Notification.query(world["creator"].id) if n.data.get("kind") == "views_spike"]
    assert len(notes) == 1 and notes[0].data["pitchId"] == pitch and notes[0].data["views"] == 12


def test_track_is_rate_limited_per_ip(world, setenv):
    setenv("TRACK_RATE_LIMIT_PER_MINUTE", "3")
    answers = [track({"eventType": "search"}, ip="192.0.2.44").status for _ in range(4)]
    assert answers == [202, 202, 202, 429]
    assert track({"eventType": "search"}, ip="192.0.2.45").status == 202


def test_a_full_viewer_set_stops_growing_and_says_uniques_are_a_lower_bound(world, monkeypatch):
    monkeypatch.setattr(aggregator, "MAX_VIEWERS", 2)
    pitch = world["pitch"]["id"]
    for ip in ("192.0.2.1", "192.0.2.2"):
        track({"eventType": "pitch_view", "pitchId": pitch}, ip=ip)
    aggregator.run()
    assert pitch_figures(world["creator"], pitch).data["uniqueViewersExact"] is True
    track({"eventType": "pitch_view", "pitchId": pitch}, ip="192.0.2.3")
    aggregator.run()
    figures = pitch_figures(world["creator"], pitch).data
    assert figures["views"] == 3 and figures["uniqueViewers"] == 2
    assert figures["uniqueViewersExact"] is False
    assert dashboard(world["creator"]).data["uniqueViewersExact"] is False


def test_the_sample_events_drive_their_handlers(world):
    import json
    from pathlib import Path

    from tests.auth_support import authorize
    from tests.events import call
    from tests.unit.pitches_support import handler

    events = Path(__file__).resolve().parents[2] / "events" / "analytics"
    creator, pitch = world["creator"], world["pitch"]["id"]

    def run(name: str):
        text = (events / f"{name}.json").read_text().replace("0196a1b2c3d4e5f60718293a4b5c6d7e8f", pitch)
        event = json.loads(text.replace("<access token>", creator.token))
        if "authorizer" in event["requestContext"]:
            event["requestContext"]["authorizer"]["lambda"] = authorize(creator.token)["context"]
        return call(handler(f"analytics/{name}"), event)

    assert run("track").status == 202
    summary = handler("analytics/aggregate")(json.loads((events / "aggregate.json").read_text()), None)
    assert summary["events"] == 3
    assert run("pitch").data["views"] == 1
    assert run("dashboard").data["views"] == 1
    assert run("realtime").data["pitches"][0]["pitchId"] == pitch
