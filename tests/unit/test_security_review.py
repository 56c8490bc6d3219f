"""Issue #11: each attack an adversarial review found, reproduced against the handlers (moto in-process).

The races and realtime items also have integration tests through the local runtime
(tests/integration/test_security_review.py)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pitchey.auth import service as auth_service
from pitchey.auth.http import api
from pitchey.core import clock, jsonbody
from pitchey.core.http import Response
from pitchey.notifications.models import Notification
from tests.auth_support import PASSWORD, handler, login, me, refresh, register
from tests.events import call, http_event, load_handler
from tests.unit.accounts import make_user
from tests.unit.notifications_support import install_fakes, ws_call, ws_event


# --- 1. lockout under parallel guesses ----------------------------------------------------------------------
def test_parallel_guesses_get_at_most_five_password_checks(aws, monkeypatch):
    register("investor", email="alice@example.com")
    checks = []
    real_verify = auth_service.verify_password
    entered = threading.Semaphore(0)
    release = threading.Event()

    def slow_verify(password, password_hash):
        checks.append(password)
        entered.release()
        if password != PASSWORD:
            release.wait(10)  # the wrong guesses are still in bcrypt when the right one arrives
        return real_verify(password, password_hash)

    monkeypatch.setattr(auth_service, "verify_password", slow_verify)
    with ThreadPoolExecutor(12) as pool:
        wrong = [pool.submit(login, "investor", "alice@example.com", "wr0ng-guess") for _ in range(5)]
        for _ in range(5):
            assert entered.acquire(timeout=10)
        right = login("investor", "alice@example.com", PASSWORD)  # five guesses in flight, then the password
        more = [pool.submit(login, "investor", "alice@example.com", "wr0ng-guess") for _ in range(6)]
        release.set()
        answers = [future.result() for future in wrong + more]
    assert right.status == 429 and right.code == "ACCOUNT_LOCKED"
    assert sorted(a.status for a in answers) == [401] * 5 + [429] * 6
    assert len(checks) == 5


# --- 2. deeply nested JSON ----------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["[" * 990, "[" * 990 + "]" * 990, '{"a":' * 500 + "1" + "}" * 500])
def test_deeply_nested_json_is_a_400_on_an_anonymous_route(aws, raw):
    event = http_event("POST", "/api/auth/investor/login", raw_body=raw, path_params={"portal": "investor"})
    answer = call(handler("auth/login"), event)
    assert answer.status == 400 and answer.code == "BAD_REQUEST"


def test_nesting_up_to_64_levels_and_brackets_inside_strings_are_fine(aws):
    body = '{"email": "' + "[" * 200 + '", "password": ' + "[" * 63 + "]" * 63 + "}"
    event = http_event("POST", "/api/auth/investor/login", raw_body=body, path_params={"portal": "investor"})
    answer = call(handler("auth/login"), event)
    assert answer.status == 422  # parsed; refused by validation, not by the parser
    assert jsonbody.nesting_depth('["]]]\\"[[[", {"a": [[]]}]') == 4


def test_a_deeply_nested_websocket_frame_is_an_error_frame(aws, monkeypatch):
    install_fakes(monkeypatch)
    answer = ws_call(load_handler("realtime/default"), ws_event("$default", "c1", body="[" * 990))
    assert answer["frame"]["type"] == "error" and answer["frame"]["data"]["code"] == "BAD_REQUEST"


# --- 10. email normalisation, control characters ------------------------------------------------------------
def test_the_kelvin_sign_cannot_squat_an_email(aws):
    assert register("investor", email="kate@example.com", username="kate").status == 201
    for look_alike in ("\u212aate@example.com", "\uff4b\uff41\uff54\uff45@example.com", "KATE@EXAMPLE.COM"):
        squatter = register("investor", email=look_alike, username="squatter")  # Kelvin sign, fullwidth
        assert squatter.status == 409 and squatter.code == "EMAIL_TAKEN", look_alike
    assert register("investor", email="stra\u00dfe@example.com", username="strasse").status == 201
    assert register("investor", email="STRASSE@example.com", username="strasse2").code == "EMAIL_TAKEN"
    assert login("investor", "\u212aate@example.com").status == 200  # the same address


def test_an_email_that_is_invalid_once_normalised_is_422(aws):
    answer = register("investor", email="a\uff20b@example.com")  # FULLWIDTH @ → a@b@example.com
    assert answer.status == 422 and answer.body["error"]["details"][0]["field"] == "email"


@pytest.mark.parametrize("bad", ["nul\x00byte", "bell\x07", "esc\x1b[31m", "c1\x85", "lone\ud800"])
def test_control_characters_are_refused_in_every_string_field(aws, bad):
    answer = register("investor", email="carl@example.com", username="carl", bio=bad)
    assert answer.status == 422
    assert answer.body["error"]["details"] == [
        {"field": "bio", "message": "Must not contain control characters"}
    ]


def test_tabs_and_newlines_stay_allowed(aws):
    assert (
        register("investor", email="dora@example.com", username="dora", bio="Line 1\n\tLine 2\r\n").status
        == 201
    )


# --- 11. populate by alias only -----------------------------------------------------------------------------
def test_snake_case_names_of_writable_fields_are_refused(aws):
    answer = register("creator", email="eve@example.com", username="eve", first_name="Eve")
    assert answer.status == 422
    assert answer.body["error"]["details"] == [
        {"field": "first_name", "message": "Unknown or read-only field"}
    ]
    assert register("creator", email="eve@example.com", username="eve", firstName="Eve").status == 201


# --- 8. Idempotency-Key scope -------------------------------------------------------------------------------
def test_an_idempotency_key_is_scoped_to_the_concrete_path(aws):
    calls = []

    @api(auth="none", idempotent=True)
    def upload(request):
        calls.append(request.path_param("id"))
        return Response(201, {"pitchId": request.path_param("id")})

    def post(pitch_id: str, method: str = "POST"):
        event = http_event(
            method,
            f"/api/pitches/{pitch_id}/media",
            body={"fileName": "a.png"},
            headers={"Idempotency-Key": "same-key"},
            path_params={"id": pitch_id},
            route_key=f"{method} /api/pitches/{{id}}/media",
        )
        return call(upload, event)

    assert post("pitch-a").data == {"pitchId": "pitch-a"}
    assert post("pitch-b").data == {"pitchId": "pitch-b"}  # not pitch A's answer replayed
    assert post("pitch-a").data == {"pitchId": "pitch-a"}  # a true retry still replays
    assert post("pitch-a", "PUT").data == {"pitchId": "pitch-a"}
    assert calls == ["pitch-a", "pitch-b", "pitch-a"]


# --- 9. concurrent refreshes are not reuse ------------------------------------------------------------------
def test_twenty_parallel_refreshes_keep_the_session(aws):
    grant = register("investor", email="fay@example.com", username="fay").data
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: refresh(grant["refreshToken"]), range(20)))
    assert sorted(a.status for a in answers) == [200] + [409] * 19
    winner = next(a for a in answers if a.status == 200).data
    assert me(winner["accessToken"]).status == 200
    assert refresh(winner["refreshToken"]).status == 200


def test_a_rotated_token_within_the_grace_is_409_and_after_it_reuse(aws, monkeypatch):
    grant = register("investor", email="gus@example.com", username="gus").data
    rotated = refresh(grant["refreshToken"]).data
    late = refresh(grant["refreshToken"])
    assert late.status == 409 and late.code == "TOKEN_ALREADY_ROTATED"
    assert me(rotated["accessToken"]).status == 200  # the session lives on

    now = clock.epoch()
    monkeypatch.setattr(clock, "epoch", lambda: now + auth_service.reuse_grace_seconds())
    stolen = refresh(grant["refreshToken"])
    assert stolen.status == 401 and stolen.code == "TOKEN_REUSED"
    assert refresh(rotated["refreshToken"]).status == 401


# --- 6. re-following floods new_follower --------------------------------------------------------------------
def test_follow_unfollow_loops_notify_once_a_day(aws):
    from tests.unit.pitches_support import hit

    creator, fan = make_user(), make_user("investor", username="looper")
    for _ in range(4):
        assert (
            hit(
                "follows/follow",
                "POST",
                "/api/follows",
                fan,
                body={"targetType": "user", "targetId": creator.id},
            ).status
            == 201
        )
        path = {"targetType": "user", "targetId": creator.id}
        assert (
            hit("follows/unfollow", "DELETE", f"/api/follows/user/{creator.id}", fan, path_params=path).status
            == 200
        )
    assert len([n for n in Notification.query(creator.id) if n.type == "new_follower"]) == 1


# --- 4. anonymous view inflation ----------------------------------------------------------------------------
def test_anonymous_views_cannot_be_inflated_from_one_address(aws):
    from tests.unit.pitches_support import hit, published_pitch

    pid = published_pitch(make_user())["id"]

    def view(ip: str, **headers: str) -> int:
        answer = hit(
            "pitches/get",
            "GET",
            f"/api/pitches/{pid}",
            path_params={"id": pid},
            source_ip=ip,
            headers=headers,
        )
        return answer.data["viewCount"]

    for n in range(20):  # a new User-Agent each time
        view("198.51.100.20", **{"user-agent": f"bot/{n}"})
    assert view("198.51.100.21") == 2
    for n in range(20):  # new client session ids: a few people behind one address count, not twenty
        view("198.51.100.22", **{"x-session-id": f"session-{n:04d}"})
    assert view("198.51.100.23") == 2 + 3 + 1
    trending = hit("pitches/trending", "GET", "/api/pitches/trending").data
    assert [p["viewCount"] for p in trending if p["id"] == pid] == [6]


# --- 12. unsubscribe link -----------------------------------------------------------------------------------
def test_the_unsubscribe_link_changes_nothing_on_get_and_expires(aws, monkeypatch):
    from pitchey.notifications import preferences
    from pitchey.notifications.emails import unsubscribe_token

    alice = make_user()
    token = unsubscribe_token(alice.id, "nda")
    unsubscribe = load_handler("notifications/unsubscribe")

    def follow_link(method: str):
        return call(unsubscribe, http_event(method, "/api/notifications/unsubscribe", query={"token": token}))

    shown = follow_link("GET")  # a mail scanner prefetching the link
    assert shown.status == 200 and shown.data["category"] == "nda" and shown.data["unsubscribed"] is False
    assert preferences.email_preferences(alice.id)["nda"] == "instant"
    assert follow_link("POST").data["unsubscribed"] == "nda"
    assert preferences.email_preferences(alice.id)["nda"] == "never"

    later = clock.epoch() + 30 * 24 * 3600
    monkeypatch.setattr(clock, "epoch", lambda: later)
    for method in ("GET", "POST"):
        expired = follow_link(method)
        assert expired.status == 400 and expired.code == "UNSUBSCRIBE_LINK_EXPIRED"


# --- 3. realtime: a revoked session's sockets -----------------------------------------
@pytest.fixture
def ws_api(aws, monkeypatch):
    return install_fakes(monkeypatch)


def _open_and_subscribe(user, connection_id: str, channel: str = "pitch:p1") -> None:
    event = ws_event("$connect", connection_id, query={"token": user.token})
    assert ws_call(load_handler("realtime/connect"), event)["status"] == 200
    body = {"action": "subscribe", "channel": channel}
    assert (
        ws_call(load_handler("realtime/subscribe"), ws_event("subscribe", connection_id, body=body))["frame"]
        is None
    )


def _run_push(*notes):
    from tests.events import lambda_context
    from tests.unit.notifications_support import stream_event, stream_record

    return load_handler("realtime/push")(stream_event(*[stream_record(n) for n in notes]), lambda_context())


def test_a_logged_out_socket_hears_no_typing_or_channel_broadcast(ws_api):
    from pitchey.notifications.service import notify
    from tests.unit.notifications_support import put_pitch, revoke

    alice, bob, fan = make_user(first="Alice"), make_user(first="Bob"), make_user(first="Fan")
    put_pitch("p1", "creator-x")
    _open_and_subscribe(alice, "a1")
    _open_and_subscribe(bob, "b1")
    revoke(bob)  # bob logs out; his socket has not spoken since

    typing = {"action": "typing", "channel": "pitch:p1"}
    ws_call(load_handler("realtime/typing_relay"), ws_event("typing", "a1", body=typing))
    _run_push(notify(fan.id, "pitch_update", "Pitch updated", "changed", {"pitchId": "p1"}))
    assert ws_api.frames("b1") == []
    assert "b1" in ws_api.deleted  # and the socket is closed
    assert ws_api.frames("a1", "pitch_update")  # live subscribers still hear the channel


# --- 7. channel frames carry a channel event, once per connection -------------------------------------------
def test_channel_frames_carry_the_change_and_reach_each_connection_once(ws_api):
    from pitchey.notifications.service import notify
    from tests.unit.notifications_support import put_pitch

    fan1, fan2, watcher = make_user(first="Fan"), make_user(first="Fanny"), make_user(first="Watcher")
    put_pitch("p1", "creator-x")
    for user, cid in ((fan1, "f1"), (fan2, "f2"), (watcher, "w1")):
        _open_and_subscribe(user, cid)
    data = {"pitchId": "p1", "status": "published", "fields": ["logline"]}
    notes = [notify(fan.id, "pitch_update", "Pitch updated", "changed", data) for fan in (fan1, fan2)]
    _run_push(*notes)
    for cid in ("f1", "f2", "w1"):
        [channel_frame] = ws_api.frames(cid)  # followers subscribed to the channel: one frame, not two
        assert channel_frame["channel"] == "pitch:p1"
        assert channel_frame["data"] == {
            "pitchId": "p1",
            "title": "Pitch updated",
            "body": "changed",
            "data": data,
            "at": channel_frame["data"]["at"],
        }
        assert not {note.id for note in notes} & set(json.dumps(channel_frame).split('"'))  # no one's id


# --- 5. presence only with consent --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("relation", "sees_presence"),
    [("follower", False), ("pending", False), ("rejected", False), ("approved", True), ("signed", True)],
)
def test_presence_goes_only_to_nda_counterparts(ws_api, relation, sees_presence):
    from tests.unit.notifications_support import follow, nda_between

    star, other = make_user("creator", first="Star"), make_user(first="Other")
    if relation == "follower":
        follow(other.id, star.id)
    else:
        nda_between(other.id, star.id, relation)
    connect = load_handler("realtime/connect")
    assert ws_call(connect, ws_event("$connect", "o1", query={"token": other.token}))["status"] == 200
    assert ws_call(connect, ws_event("$connect", "s1", query={"token": star.token}))["status"] == 200
    frames = [f["data"] for f in ws_api.frames("o1", "presence")]
    assert frames == ([{"userId": star.id, "status": "online"}] if sees_presence else [])
    # and the other way round: the creator hears of the counterpart only as well
    ws_call(load_handler("realtime/disconnect"), ws_event("$disconnect", "o1"))
    assert len(ws_api.frames("s1", "presence")) == int(sees_presence)
