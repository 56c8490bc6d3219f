"""Follows: users and pitches, idempotent, counted in the same transaction, with lists and notifications."""

from __future__ import annotations

import pytest

from pitchey.follows.models import Follow
from pitchey.notifications.models import Notification
from pitchey.pitches.models import Pitch
from tests.unit.accounts import make_user
from tests.unit.pitches_support import create_pitch, hit, published_pitch


def follow(actor, target_type, target_id, **extra):
    body = {"targetType": target_type, "targetId": target_id, **extra}
    return hit("follows/follow", "POST", "/api/follows", actor, body=body)


def unfollow(actor, target_type, target_id):
    return hit(
        "follows/unfollow",
        "DELETE",
        f"/api/follows/{target_type}/{target_id}",
        actor,
        path_params={"targetType": target_type, "targetId": target_id},
    )


def following(actor, **query):
    return hit("follows/following", "GET", "/api/follows/following", actor, query=query or None)


def followers(actor, **query):
    return hit("follows/followers", "GET", "/api/follows/followers", actor, query=query or None)


def test_following_a_pitch_twice_counts_once(aws):
    pitch = published_pitch(make_user())
    fan = make_user("investor")
    first = follow(fan, "pitch", pitch["id"])
    assert first.status == 201
    assert first.data["targetType"] == "pitch" and first.data["targetId"] == pitch["id"]
    again = follow(fan, "pitch", pitch["id"])
    assert again.status == 200 and again.data == first.data
    assert Pitch.get(pitch["id"]).follower_count == 1
    assert Pitch.get(pitch["id"]).popularity == 3


def test_unfollow_is_idempotent_and_moves_the_counter_back(aws):
    pitch = published_pitch(make_user())
    fan = make_user("investor")
    follow(fan, "pitch", pitch["id"])
    assert unfollow(fan, "pitch", pitch["id"]).status == 200
    assert unfollow(fan, "pitch", pitch["id"]).status == 200
    assert Pitch.get(pitch["id"]).follower_count == 0
    assert unfollow(fan, "user", "never-followed").status == 200
    assert unfollow(fan, "planet", "x").status == 404


def test_follow_targets_must_exist_and_be_visible(aws):
    creator, fan = make_user(), make_user("investor")
    draft = create_pitch(creator)
    assert follow(fan, "user", "no-such-user").status == 404
    assert follow(fan, "pitch", "no-such-pitch").status == 404
    assert follow(fan, "pitch", draft["id"]).status == 404
    assert follow(creator, "pitch", draft["id"]).status == 201  # the owner can see (and follow) it
    assert list(Follow.query(fan.id)) == []


def test_following_yourself_is_422(aws):
    user = make_user()
    answer = follow(user, "user", user.id)
    assert answer.status == 422 and answer.body["error"]["details"][0]["field"] == "targetId"


@pytest.mark.parametrize(
    "body",
    [
        {"targetType": "planet", "targetId": "x"},
        {"targetType": "user"},
        {"targetType": "user", "targetId": "x", "followerId": "y"},
        {"targetType": "user", "targetId": ""},
    ],
)
def test_bad_follow_bodies_are_422(aws, body):
    assert hit("follows/follow", "POST", "/api/follows", make_user(), body=body).status == 422


def test_a_new_follower_notifies_the_followed_user_once(aws):
    creator, fan = make_user(), make_user("investor", username="moneybags")
    assert follow(fan, "user", creator.id).status == 201
    assert follow(fan, "user", creator.id).status == 200
    notes = [n for n in Notification.query(creator.id) if n.type == "new_follower"]
    assert len(notes) == 1
    assert notes[0].data["followerId"] == fan.id and "moneybags" in notes[0].body


def test_following_and_followers_lists(aws):
    creator = make_user(username="auteur")
    fan1, fan2 = make_user("investor", username="fan_one"), make_user("production", username="fan_two")
    pitch = published_pitch(creator)
    follow(fan1, "user", creator.id)
    follow(fan1, "pitch", pitch["id"])
    follow(fan2, "user", creator.id)
    mine = following(fan1)
    assert mine.status == 200
    assert [(f["targetType"], f["targetId"]) for f in mine.data] == [
        ("pitch", pitch["id"]),
        ("user", creator.id),
    ]
    assert all(f["followedAt"].endswith("Z") for f in mine.data)
    fans = followers(creator)
    assert [(f["userId"], f["username"], f["userType"]) for f in fans.data] == [
        (fan2.id, "fan_two", "production"),
        (fan1.id, "fan_one", "investor"),
    ]
    assert set(fans.data[0]) == {"userId", "username", "userType", "followedAt"}
    first = followers(creator, limit="1")
    second = followers(creator, limit="1", cursor=first.body["metadata"]["nextCursor"])
    assert [f["userId"] for f in first.data + second.data] == [fan2.id, fan1.id]
    assert second.body["metadata"]["nextCursor"] is None
    assert followers(fan1).data == []
    assert following(None).status == 401
