"""NotifyPushFunction: a Notifications stream batch → frames on every WebSocket of each recipient."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pitchey.core import clock
from pitchey.notifications.models import Notification
from pitchey.notifications.schemas import notification_view
from pitchey.notifications.service import notify
from pitchey.realtime.models import Connection
from tests.events import lambda_context, load_handler
from tests.unit.accounts import make_user
from tests.unit.notifications_support import (
    install_fakes,
    open_ws,
    put_pitch,
    revoke,
    stream_event,
    stream_record,
    ws_call,
    ws_event,
)

push = load_handler("realtime/push")
connect = load_handler("realtime/connect")
subscribe = load_handler("realtime/subscribe")


@pytest.fixture
def api(aws, monkeypatch):
    return install_fakes(monkeypatch)


def run(*records):
    return push(stream_event(*records), lambda_context())


def test_a_notification_reaches_every_connection_of_the_user(api):
    alice, bob = make_user("investor", first="Alice"), make_user("investor", first="Bob")
    for user, cid in ((alice, "a1"), (alice, "a2"), (alice, "a3"), (bob, "b1")):
        open_ws(user, cid)
    note = notify(alice.id, "nda_request", "NDA request", "Bob asks to read Night Train", {"ndaId": "n1"})

    assert run(stream_record(note)) == {"batchItemFailures": []}
    for cid in ("a1", "a2", "a3"):
        frames = api.frames(cid)
        assert len(frames) == 1
        assert frames[0]["type"] == "nda_request"
        assert frames[0]["data"] == notification_view(note)
        assert set(frames[0]["data"]) == {"id", "type", "title", "body", "data", "read", "createdAt"}
        assert frames[0]["timestamp"].endswith("Z")
    assert api.frames("b1") == []


def test_only_inserts_are_pushed(api):
    alice = make_user("investor")
    open_ws(alice, "a1")
    note = notify(alice.id, "system", "Hello", "Welcome")
    assert run(stream_record(note, "MODIFY"), stream_record(note, "REMOVE")) == {"batchItemFailures": []}
    assert api.frames("a1") == []


def test_an_offline_user_keeps_the_notification_unread(api):
    alice = make_user("investor")
    note = notify(alice.id, "message", "New message", "Hi")
    assert run(stream_record(note)) == {"batchItemFailures": []}
    stored = Notification.get(alice.id, note.sk)
    assert stored.read is False and stored.unread_user_id == alice.id


def test_gone_connections_are_deleted_and_the_rest_still_served(api):
    alice = make_user("investor")
    for cid in ("a1", "a2"):
        open_ws(alice, cid)
    api.gone.add("a1")
    note = notify(alice.id, "system", "Hello", "Welcome")

    assert run(stream_record(note)) == {"batchItemFailures": []}
    assert len(api.frames("a2")) == 1
    assert [c.connection_id for c in Connection.scan()] == ["a2"]


def test_a_failed_post_is_reported_and_processing_stops_there(api):
    alice, bob = make_user("investor", first="Alice"), make_user("investor", first="Bob")
    open_ws(alice, "a1")
    open_ws(bob, "b1")
    api.failing.add("a1")
    first = notify(bob.id, "system", "One", "1")
    failing = notify(alice.id, "system", "Two", "2")
    later = notify(bob.id, "system", "Three", "3")
    records = [stream_record(first), stream_record(failing), stream_record(later)]

    result = run(*records)
    assert result == {"batchItemFailures": [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]}
    assert [f["data"]["title"] for f in api.frames("b1")] == ["One"]  # "Three" waits for the retry
    assert Connection.get("a1")  # a throttled connection is not a gone one

    api.failing.clear()  # Lambda retries from the reported record
    assert run(*records[1:]) == {"batchItemFailures": []}
    assert [f["data"]["title"] for f in api.frames("a1")] == ["Two"]
    assert [f["data"]["title"] for f in api.frames("b1")] == ["One", "Three"]


def test_connections_of_a_revoked_session_are_closed_not_served(api):
    alice = make_user("investor")
    open_ws(alice, "a1")
    revoke(alice)
    note = notify(alice.id, "system", "Hello", "Welcome")
    assert run(stream_record(note)) == {"batchItemFailures": []}
    assert api.frames("a1") == []
    assert api.deleted == ["a1"]
    assert list(Connection.scan()) == []


def test_a_session_the_index_does_not_show_yet_is_read_from_the_table(api, monkeypatch):
    """GSIs are eventually consistent: a login moments ago may be missing from Sessions/byUser."""
    from pitchey.auth.models import Session

    alice = make_user("investor")
    open_ws(alice, "a1")
    monkeypatch.setattr(Session.by_user, "query", lambda *args, **kwargs: iter(()))
    note = notify(alice.id, "system", "Hello", "Welcome")
    assert run(stream_record(note)) == {"batchItemFailures": []}
    assert len(api.frames("a1")) == 1 and api.deleted == []


def test_pitch_updates_reach_channel_subscribers_once(api):
    creator = make_user("creator", first="Cleo")
    fan1, fan2 = make_user("investor", first="Fan"), make_user("investor", first="Fanny")
    watcher, outsider = make_user("investor", first="Watcher"), make_user("investor", first="Outsider")
    put_pitch("p1", creator.id)
    for user, cid in ((fan1, "f1"), (fan2, "f2"), (watcher, "w1"), (outsider, "o1")):
        open_ws(user, cid)
    for cid in ("f1", "w1"):
        body = {"action": "subscribe", "channel": "pitch:p1"}
        assert ws_call(subscribe, ws_event("subscribe", cid, body=body))["frame"] is None
    # the pitches context notifies each follower: one notification per follower for one change
    data = {"pitchId": "p1", "changes": {"title": {"from": "A", "to": "B"}}}
    notes = [notify(fan.id, "pitch_update", "Pitch updated", "B has changed", data) for fan in (fan1, fan2)]

    assert run(*[stream_record(note) for note in notes]) == {"batchItemFailures": []}
    watcher_frames = api.frames("w1")
    assert len(watcher_frames) == 1
    assert watcher_frames[0]["type"] == "pitch_update"
    assert watcher_frames[0]["channel"] == "pitch:p1"
    assert watcher_frames[0]["data"]["data"] == data
    assert len(api.frames("f1")) == 1  # the channel's frame, not their own notification as well
    assert len(api.frames("f2")) == 1
    assert api.frames("o1") == []

    # a replayed batch does not broadcast again
    run(*[stream_record(note) for note in notes])
    assert len(api.frames("w1")) == 1


def test_a_later_identical_change_is_broadcast_again(api, monkeypatch):
    fan, watcher = make_user("investor", first="Fan"), make_user("investor", first="Watcher")
    put_pitch("p1", "creator-x")
    open_ws(watcher, "w1")
    ws_call(subscribe, ws_event("subscribe", "w1", body={"action": "subscribe", "channel": "pitch:p1"}))
    data = {"pitchId": "p1", "status": "published", "fields": ["logline"]}
    first = notify(fan.id, "pitch_update", "Pitch updated", '"A" was updated', data)
    run(stream_record(first))
    later = clock.now() + timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: later)
    second = notify(fan.id, "pitch_update", "Pitch updated", '"A" was updated', data)
    run(stream_record(second))
    run(stream_record(first))  # a late retry of the first change is still not sent again
    assert [f["data"]["at"] for f in api.frames("w1")] == [
        clock.iso(clock.from_iso(note.created_at)) for note in (first, second)
    ]


def test_channel_broadcast_skips_subscribers_who_may_no_longer_see_the_pitch(api):
    creator, fan, watcher = (
        make_user("creator"),
        make_user("investor", first="Fan"),
        make_user("investor", first="Watcher"),
    )
    put_pitch("p1", creator.id)
    for user, cid in ((creator, "c1"), (watcher, "w1")):
        open_ws(user, cid)
        ws_call(subscribe, ws_event("subscribe", cid, body={"action": "subscribe", "channel": "pitch:p1"}))
    put_pitch("p1", creator.id, status="hidden")
    note = notify(fan.id, "pitch_update", "Hidden", "The pitch is hidden now", {"pitchId": "p1"})
    assert run(stream_record(note)) == {"batchItemFailures": []}
    assert api.frames("w1") == []
    assert len(api.frames("c1")) == 1  # the owner still sees their pitch
