"""Likes: idempotent, one per user and pitch, counted exactly under concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pitchey.pitches.models import Pitch, PitchLike
from tests.unit.accounts import make_user
from tests.unit.pitches_support import create_pitch, hit, published_pitch


def like(actor, pitch_id, **kwargs):
    return hit(
        "pitches/like", "POST", f"/api/pitches/{pitch_id}/like", actor, path_params={"id": pitch_id}, **kwargs
    )


def unlike(actor, pitch_id):
    return hit(
        "pitches/unlike", "DELETE", f"/api/pitches/{pitch_id}/like", actor, path_params={"id": pitch_id}
    )


def test_like_and_unlike_are_idempotent(aws):
    pitch = published_pitch(make_user())
    fan = make_user("investor")
    first = like(fan, pitch["id"])
    assert first.status == 200 and first.data == {"pitchId": pitch["id"], "liked": True, "likeCount": 1}
    assert like(fan, pitch["id"], raw_body="{}").data["likeCount"] == 1
    assert Pitch.get(pitch["id"]).popularity == 5
    gone = unlike(fan, pitch["id"])
    assert gone.status == 200 and gone.data == {"pitchId": pitch["id"], "liked": False, "likeCount": 0}
    assert unlike(fan, pitch["id"]).data["likeCount"] == 0
    assert Pitch.get(pitch["id"]).popularity == 0
    assert list(PitchLike.query(pitch["id"])) == []


def test_like_needs_a_pitch_the_caller_can_see(aws):
    owner = make_user()
    draft = create_pitch(owner)
    assert like(make_user("investor"), draft["id"]).status == 404
    assert like(make_user("investor"), "missing").status == 404
    assert like(None, draft["id"]).status == 401
    assert like(owner, draft["id"], raw_body="{nope").status == 400
    assert Pitch.get(draft["id"]).like_count == 0


def test_twenty_concurrent_likes_from_twenty_users_count_twenty(aws):
    pitch = published_pitch(make_user())
    fans = [make_user("investor") for _ in range(20)]
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda fan: like(fan, pitch["id"]), fans))
    assert all(answer.status == 200 for answer in answers)
    assert Pitch.get(pitch["id"]).like_count == 20
    assert len(list(PitchLike.query(pitch["id"]))) == 20


def test_concurrent_repeats_by_one_user_count_once(aws):
    pitch = published_pitch(make_user())
    fan = make_user("investor")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: like(fan, pitch["id"]), range(8)))
    assert {answer.status for answer in answers} == {200}
    assert Pitch.get(pitch["id"]).like_count == 1
