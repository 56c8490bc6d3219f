"""Analytics through the local runtime: track over HTTP, run AnalyticsAggregationSchedule (the run answers
when it has finished), read the dashboards. Exact counts, re-runs and parallel runs change nothing, late
events are counted once, other creators' pitches never show, NDA and like figures come from what happened."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.integration.accounts import Account, cast
from tests.integration.test_ndas_flow import nda_action, nda_request, notified, wait_for
from tests.integration.test_ndas_flow import published_pitch as nda_pitch

pytestmark = pytest.mark.integration
SCHEDULE = "AnalyticsAggregationSchedule"


def ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()["data"]


@pytest.fixture(scope="module")
def people(runtime: Any) -> dict[str, Account]:
    return cast(runtime, creator="creator", rival="creator", investor="investor")


def published(runtime: Any, owner: Account, title: str) -> str:
    body = {"title": title, "logline": "A heist in reverse.", "genre": "comedy", "format": "feature"}
    pitch = ok(runtime.client.post("/api/pitches", json=body, headers=owner.headers), 201)
    ok(
        runtime.client.put(
            f"/api/pitches/{pitch['id']}",
            json={"status": "published", "shortSynopsis": "Short."},
            headers=owner.headers,
        )
    )
    return pitch["id"]


def track(runtime: Any, body: Any, who: Account | None = None, **kwargs: Any) -> httpx.Response:
    headers = who.headers if who else {}
    return runtime.client.post("/api/analytics/track", json=body, headers=headers, **kwargs)


def aggregate(runtime: Any) -> dict[str, Any]:
    result = runtime.run_schedule(SCHEDULE)
    assert result["error"] is None, result
    return result["payload"]


def figures(runtime: Any, who: Account, pitch_id: str, period: str = "30d") -> httpx.Response:
    return runtime.client.get(
        f"/api/analytics/pitch/{pitch_id}", params={"period": period}, headers=who.headers
    )


def test_track_then_aggregate_gives_exact_dashboards_and_reruns_change_nothing(runtime, people):
    creator, investor = people["creator"], people["investor"]
    pitch = published(runtime, creator, "Counted")
    other = published(runtime, people["rival"], "Not mine")
    session = f"s-{uuid.uuid4().hex}"
    view = {"eventType": "pitch_view", "pitchId": pitch}
    assert track(runtime, {**view, "durationMs": 1500}, investor).status_code == 202
    assert track(runtime, {"events": [{**view, "sessionId": session}] * 3}).status_code == 202
    assert track(runtime, {"events": [{"eventType": "pitch_view", "pitchId": other}] * 4}).status_code == 202
    ok(runtime.client.post(f"/api/pitches/{pitch}/like", headers=investor.headers))

    aggregate(runtime)
    mine = ok(figures(runtime, creator, pitch))
    assert mine["views"] == 4 and mine["uniqueViewers"] == 2 and mine["likes"] == 1
    assert mine["byDay"] == [{"date": datetime.now(UTC).date().isoformat(), "views": 4}]
    assert mine["funnel"] == {"views": 2, "ndaRequests": 0, "ndasSigned": 0, "investments": 0}
    board = ok(
        runtime.client.get("/api/analytics/dashboard", params={"period": "7d"}, headers=creator.headers)
    )
    assert board["views"] == 4 and board["uniqueViewers"] == 2 and board["likes"] == 1
    assert board["topPitches"] == [{"pitchId": pitch, "title": "Counted", "views": 4}]
    live = ok(runtime.client.get("/api/analytics/realtime", headers=creator.headers))
    assert live["pitches"] == [{"pitchId": pitch, "views": 4, "uniqueViewers": 2}]
    assert live["windowStart"] < live["windowEnd"]

    # Again, and three at once (an overlapping run waits for the lease, then finds nothing new).
    aggregate(runtime)
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda _: aggregate(runtime), range(3)))
    assert ok(figures(runtime, creator, pitch)) == mine
    assert (
        ok(runtime.client.get("/api/analytics/dashboard", params={"period": "7d"}, headers=creator.headers))
        == board
    )


def test_another_creators_pitch_never_appears(runtime, people):
    creator, rival = people["creator"], people["rival"]
    theirs = published(runtime, rival, "Rival hit")
    track(runtime, {"events": [{"eventType": "pitch_view", "pitchId": theirs}] * 2})
    aggregate(runtime)
    assert figures(runtime, creator, theirs).status_code == 404
    assert figures(runtime, people["investor"], theirs).status_code == 404
    board = ok(runtime.client.get("/api/analytics/dashboard", headers=creator.headers))
    assert theirs not in [p["pitchId"] for p in board["topPitches"]]
    live = ok(runtime.client.get("/api/analytics/realtime", headers=creator.headers))
    assert theirs not in [p["pitchId"] for p in live["pitches"]]
    assert ok(figures(runtime, rival, theirs))["views"] == 2
    assert (
        runtime.client.get("/api/analytics/dashboard", headers=people["investor"].headers).status_code == 403
    )
    assert runtime.client.get("/api/analytics/dashboard").status_code == 401


def test_invalid_events_are_422_and_none_of_the_batch_is_stored(runtime, people):
    creator = people["creator"]
    pitch = published(runtime, creator, "Validated")
    good = {"eventType": "pitch_view", "pitchId": pitch}
    for bad in (
        {"eventType": "teleport", "pitchId": pitch},
        {"eventType": "pitch_view"},
        {"eventType": "pitch_view", "pitchId": pitch, "durationMs": -5},
        {"eventType": "pitch_view", "pitchId": pitch, "viewer": "forged"},
    ):
        answer = track(runtime, {"events": [good, bad]})
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "VALIDATION_ERROR"
        assert answer.json()["error"]["details"][0]["field"].startswith("events.1")
    assert track(runtime, {"events": [good] * 26}).status_code == 422
    assert track(runtime, {}, content=b"{not json").status_code == 400
    aggregate(runtime)
    assert ok(figures(runtime, creator, pitch))["views"] == 0


def test_late_events_are_counted_once(runtime, people):
    creator = people["creator"]
    pitch = published(runtime, creator, "Late")
    track(runtime, {"eventType": "pitch_view", "pitchId": pitch})
    aggregate(runtime)
    # An event that reached a minute the last run already read (3 minutes ago, within the default 600 s).
    ms = int(time.time() * 1000) - 180_000
    minute = datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y%m%d%H%M")
    runtime.boto3("dynamodb").put_item(
        TableName="AnalyticsEventsTable",
        Item={
            "bucket": {"S": f"{minute}#1"},
            "sk": {"S": f"{ms:013d}#{uuid.uuid4().hex}"},
            "type": {"S": "pitch_view"},
            "pitchId": {"S": pitch},
            "viewer": {"S": "late-viewer"},
            "source": {"S": "track"},
            "ttl": {"N": str(ms // 1000 + 86400)},
        },
    )
    aggregate(runtime)
    aggregate(runtime)
    counted = ok(figures(runtime, creator, pitch))
    assert counted["views"] == 2 and counted["uniqueViewers"] == 2


def test_nda_requests_signatures_and_likes_count_what_happened(runtime, people):
    creator, investor = people["creator"], people["investor"]
    pitch = nda_pitch(runtime, creator)["id"]
    track(runtime, {"events": [{"eventType": "nda_request", "pitchId": pitch}] * 3})  # claims, not requests
    nda = ok(nda_request(runtime, investor, pitch), 201)
    wait_for(lambda: notified(runtime, creator, "nda_request", nda["id"]))
    ok(nda_action(runtime, creator, nda["id"], "approve"))
    wait_for(lambda: notified(runtime, investor, "nda_approved", nda["id"]))
    ok(nda_action(runtime, investor, nda["id"], "sign", {"signerName": "I. Nvestor", "accept": True}))
    aggregate(runtime)
    funnel = ok(figures(runtime, creator, pitch))["funnel"]
    assert funnel["ndaRequests"] == 1 and funnel["ndasSigned"] == 1


def test_trending_reads_the_aggregated_scores(runtime, people):
    creator = people["creator"]
    quiet, busy = published(runtime, creator, "Quiet"), published(runtime, creator, "Busy")
    track(runtime, {"events": [{"eventType": "pitch_view", "pitchId": busy, "sessionId": "t"}] * 25})
    track(runtime, {"eventType": "pitch_view", "pitchId": quiet})
    aggregate(runtime)
    ranked = [p["id"] for p in ok(runtime.client.get("/api/pitches/trending", params={"limit": "100"}))]
    assert ranked.index(busy) < ranked.index(quiet)
