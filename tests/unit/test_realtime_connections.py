"""WebSocket routes: $connect authentication, $disconnect cleanup, ping, subscribe/unsubscribe, typing."""

from __future__ import annotations

import pytest

from pitchey.auth.tokens import issue_access_token
from pitchey.core import clock
from pitchey.realtime.models import ChannelSubscription, Connection, RealtimeState
from tests.events import load_handler
from tests.unit.accounts import make_user
from tests.unit.notifications_support import (
    follow,
    install_fakes,
    nda_between,
    open_ws,
    put_pitch,
    revoke,
    ws_call,
    ws_event,
)

connect = load_handler("realtime/connect")
disconnect = load_handler("realtime/disconnect")
ping = load_handler("realtime/ping")
subscribe = load_handler("realtime/subscribe")
unsubscribe = load_handler("realtime/unsubscribe")
typing = load_handler("realtime/typing_relay")
default = load_handler("realtime/default")


@pytest.fixture
def api(aws, monkeypatch):
    return install_fakes(monkeypatch)


# --- $connect ---------------------------------------------------------------------------------------------
def test_connect_with_a_good_token_records_the_connection(api):
    user = make_user("investor")
    open_ws(user, "c1")
    item = Connection.get("c1")
    assert item.user_id == user.id and item.session_id == user.session_id
    assert item.ttl > clock.epoch() + 3600
    assert [c.connection_id for c in Connection.by_user.query(user.id)] == ["c1"]


@pytest.mark.parametrize(
    "query",
    [None, {}, {"token": ""}, {"token": "not-a-jwt"}, {"token": "a.b.c"}],
    ids=["no-query", "no-token", "empty", "garbage", "bad-signature"],
)
def test_connect_without_a_valid_token_is_refused(api, query):
    answer = ws_call(connect, ws_event("$connect", "c1", query=query))
    assert answer["status"] == 401
    assert answer["frame"]["success"] is False
    assert list(Connection.scan()) == []


def test_connect_with_an_expired_token_is_refused(api, monkeypatch, setenv):
    user = make_user("investor")
    setenv("ACCESS_TOKEN_TTL_SECONDS", "1")
    monkeypatch.setattr(clock, "epoch", lambda: 1_000_000)  # issued long ago
    token, _ = issue_access_token(user.id, user.session_id, "investor")
    monkeypatch.undo()
    answer = ws_call(connect, ws_event("$connect", "c1", query={"token": token}))
    assert answer["status"] == 401
    assert answer["frame"]["error"]["code"] == "TOKEN_EXPIRED"


def test_connect_with_a_revoked_session_is_refused(api):
    user = make_user("investor")
    revoke(user)
    answer = ws_call(connect, ws_event("$connect", "c1", query={"token": user.token}))
    assert answer["status"] == 401
    assert list(Connection.scan()) == []


def test_connect_with_an_ended_session_is_refused(api):
    user = make_user("investor", ttl=clock.epoch() - 1)
    assert ws_call(connect, ws_event("$connect", "c1", query={"token": user.token}))["status"] == 401


# --- $disconnect ------------------------------------------------------------------------------------------
def test_disconnect_removes_the_connection_and_its_subscriptions(api):
    user = make_user("investor")
    put_pitch("p1", "someone")
    open_ws(user, "c1")
    ws_call(subscribe, ws_event("subscribe", "c1", body={"action": "subscribe", "channel": "pitch:p1"}))
    assert [s.connection_id for s in ChannelSubscription.query("pitch:p1")] == ["c1"]

    assert ws_call(disconnect, ws_event("$disconnect", "c1"))["status"] == 200
    assert list(Connection.scan()) == []
    assert list(ChannelSubscription.query("pitch:p1")) == []
    assert RealtimeState.get(f"presence#{user.id}").open_count == 0
    # a second $disconnect (or a Gone after it) changes nothing
    assert ws_call(disconnect, ws_event("$disconnect", "c1"))["status"] == 200
    assert RealtimeState.get(f"presence#{user.id}").open_count == 0


# --- ping ---------------------------------------------------------------------------------------------------
def test_ping_answers_pong_and_refreshes_the_ttl(api):
    user = make_user("investor")
    open_ws(user, "c1")
    item = Connection.get("c1")
    item.ttl = clock.epoch() + 5
    item.save()
    answer = ws_call(ping, ws_event("ping", "c1", body={"action": "ping"}))
    assert answer["frame"]["type"] == "pong"
    assert answer["frame"]["data"] == {}
    assert answer["frame"]["timestamp"].endswith("Z")
    assert Connection.get("c1").ttl > clock.epoch() + 3600


def test_ping_after_logout_closes_the_socket(api):
    user = make_user("investor")
    open_ws(user, "c1")
    revoke(user)
    answer = ws_call(ping, ws_event("ping", "c1", body={"action": "ping"}))
    assert answer["frame"]["type"] == "error"
    assert answer["frame"]["data"]["code"] == "UNAUTHORIZED"
    assert api.deleted == ["c1"]
    assert list(Connection.scan()) == []


def test_ping_from_an_unknown_connection_is_an_error_frame(api):
    answer = ws_call(ping, ws_event("ping", "nope", body={"action": "ping"}))
    assert answer["frame"]["type"] == "error"
    assert answer["frame"]["data"]["code"] == "NOT_CONNECTED"


# --- subscribe / unsubscribe --------------------------------------------------------------------------------
def test_subscribe_to_a_published_pitch(api):
    user = make_user("investor")
    put_pitch("p1", "creator-x")
    open_ws(user, "c1")
    answer = ws_call(
        subscribe, ws_event("subscribe", "c1", body={"action": "subscribe", "channel": "pitch:p1"})
    )
    assert answer["frame"] is None
    assert Connection.get("c1").subscriptions == {"pitch:p1"}
    assert ChannelSubscription.get("pitch:p1", "c1").user_id == user.id


def test_subscribe_to_own_draft_is_allowed(api):
    creator = make_user("creator")
    put_pitch("p1", creator.id, status="draft")
    open_ws(creator, "c1")
    answer = ws_call(
        subscribe, ws_event("subscribe", "c1", body={"action": "subscribe", "channel": "pitch:p1"})
    )
    assert answer["frame"] is None
    assert Connection.get("c1").subscriptions == {"pitch:p1"}


@pytest.mark.parametrize("status", ["draft", "hidden", "archived"])
def test_subscribe_to_someone_elses_unpublished_pitch_is_an_error(api, status):
    user = make_user("investor")
    put_pitch("p1", "creator-x", status=status)
    open_ws(user, "c1")
    answer = ws_call(
        subscribe, ws_event("subscribe", "c1", body={"action": "subscribe", "channel": "pitch:p1"})
    )
    assert answer["frame"]["type"] == "error"
    assert answer["frame"]["data"]["code"] == "CHANNEL_FORBIDDEN"
    assert Connection.get("c1").subscriptions is None
    assert list(ChannelSubscription.query("pitch:p1")) == []


@pytest.mark.parametrize(
    "body",
    [
        {"action": "subscribe", "channel": "pitch:unknown"},
        {"action": "subscribe", "channel": "user:someone"},
        {"action": "subscribe", "channel": "pitch:"},
        {"action": "subscribe", "channel": 42},
        {"action": "subscribe"},
    ],
)
def test_subscribe_to_bad_or_unknown_channels_is_an_error(api, body):
    user = make_user("investor")
    open_ws(user, "c1")
    answer = ws_call(subscribe, ws_event("subscribe", "c1", body=body))
    assert answer["frame"]["type"] == "error"
    assert answer["frame"]["data"]["code"] in ("VALIDATION_ERROR", "CHANNEL_FORBIDDEN")
    assert Connection.get("c1").subscriptions is None


def test_unsubscribe(api):
    user = make_user("investor")
    put_pitch("p1", "creator-x")
    open_ws(user, "c1")
    ws_call(subscribe, ws_event("subscribe", "c1", body={"action": "subscribe", "channel": "pitch:p1"}))
    answer = ws_call(
        unsubscribe, ws_event("unsubscribe", "c1", body={"action": "unsubscribe", "channel": "pitch:p1"})
    )
    assert answer["frame"] is None
    assert not Connection.get("c1").subscriptions
    assert list(ChannelSubscription.query("pitch:p1")) == []


# --- typing, $default -------------------------------------------------------------------------------
def test_typing_is_relayed_to_the_other_subscribers_of_the_channel(api):
    alice, bob, carol = (
        make_user("investor", first="Alice"),
        make_user("investor", first="Bob"),
        make_user("investor", first="Carol"),
    )
    put_pitch("p1", "creator-x")
    for user, cid in ((alice, "a1"), (alice, "a2"), (bob, "b1"), (carol, "c1")):
        open_ws(user, cid)
    for cid in ("a1", "a2", "b1"):
        ws_call(subscribe, ws_event("subscribe", cid, body={"action": "subscribe", "channel": "pitch:p1"}))

    answer = ws_call(typing, ws_event("typing", "a1", body={"action": "typing", "channel": "pitch:p1"}))
    assert answer["frame"] is None
    frames = api.frames("b1", "typing")
    assert [f["data"] for f in frames] == [{"channel": "pitch:p1", "userId": alice.id, "isTyping": True}]
    assert api.frames("a1") == [] and api.frames("a2") == []  # not echoed to the typist
    assert api.frames("c1") == []  # not subscribed


def test_typing_requires_a_subscription_and_a_boolean(api):
    user = make_user("investor")
    put_pitch("p1", "creator-x")
    open_ws(user, "c1")
    answer = ws_call(typing, ws_event("typing", "c1", body={"action": "typing", "channel": "pitch:p1"}))
    assert answer["frame"]["data"]["code"] == "VALIDATION_ERROR"
    ws_call(subscribe, ws_event("subscribe", "c1", body={"action": "subscribe", "channel": "pitch:p1"}))
    answer = ws_call(
        typing, ws_event("typing", "c1", body={"action": "typing", "channel": "pitch:p1", "isTyping": "y"})
    )
    assert answer["frame"]["data"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("raw", ['{"action": "dance"}', "not json", "[1]"])
def test_default_route_answers_an_error_frame(api, raw):
    user = make_user("investor")
    open_ws(user, "c1")
    answer = ws_call(default, ws_event("$default", "c1", body=raw))
    assert answer["status"] == 200
    assert answer["frame"]["type"] == "error"
    assert answer["frame"]["data"]["code"] in ("UNKNOWN_ACTION", "BAD_REQUEST")


# --- presence ---------------------------------------------------------------------------------------
def test_presence_online_on_first_connection_and_offline_on_last(api):
    star, fan, stranger = (
        make_user("creator", first="Star"),
        make_user("investor", first="Fan"),
        make_user("investor", first="Other"),
    )
    nda_between(fan.id, star.id)
    follow(stranger.id, star.id)  # following gives no presence (issue #11)
    open_ws(fan, "fan1")
    open_ws(stranger, "x1")

    open_ws(star, "s1")
    open_ws(star, "s2")  # second connection: no new announcement
    online = api.frames("fan1", "presence")
    assert [f["data"] for f in online] == [{"userId": star.id, "status": "online"}]

    ws_call(disconnect, ws_event("$disconnect", "s1"))
    assert len(api.frames("fan1", "presence")) == 1  # still online through s2
    ws_call(disconnect, ws_event("$disconnect", "s2"))
    assert [f["data"]["status"] for f in api.frames("fan1", "presence")] == ["online", "offline"]
    assert api.frames("x1") == []  # a follower without an NDA
