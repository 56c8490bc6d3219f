"""Reports (any user), the moderation queue, resolve with dismiss / hide / ban, featured pitches."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from pitchey.users.models import User
from tests.unit.accounts import make_user
from tests.unit.pitches_support import get_pitch, hit, published_pitch, update_pitch


@pytest.fixture
def admin(aws):
    actor = make_user("creator", username="boss")
    User(actor.id).update(actions=[User.is_admin.set(True)])
    return actor


def report(actor, target_type: str, target_id: str, reason: str = "Stolen idea"):
    body = {"targetType": target_type, "targetId": target_id, "reason": reason}
    return hit("reports/create", "POST", "/api/reports", actor, body=body)


def reports(actor, **query):
    return hit("admin/reports", "GET", "/api/admin/reports", actor, query=query or None)


def resolve(actor, report_id: str, action: str, note: str | None = None):
    body = {"action": action, **({"note": note} if note else {})}
    path = f"/api/admin/reports/{report_id}/resolve"
    return hit("admin/resolve_report", "POST", path, actor, body=body, path_params={"id": report_id})


def feature(actor, pitch_id: str, method: str = "POST"):
    path = f"/api/admin/pitches/{pitch_id}/feature"
    return hit("admin/feature", method, path, actor, path_params={"id": pitch_id})


def browse_ids(**query):
    answer = hit("pitches/browse", "GET", "/api/pitches/browse", None, query=query)
    assert answer.status == 200, answer.body
    return [pitch["id"] for pitch in answer.data]


def test_any_user_reports_what_they_can_see(admin):
    creator, viewer = make_user("creator"), make_user("investor")
    pitch = published_pitch(creator)
    made = report(viewer, "pitch", pitch["id"])
    assert made.status == 201 and made.data["status"] == "open"
    assert made.data["targetOwnerId"] == creator.id
    assert report(viewer, "user", creator.id).status == 201
    assert report(viewer, "pitch", "missing").status == 404
    assert report(viewer, "message", "nope").status == 404
    assert report(viewer, "planet", pitch["id"]).status == 422
    assert report(viewer, "pitch", pitch["id"], reason="").status == 422
    queue = [row["id"] for row in reports(admin).data]
    assert queue[0] == made.data["id"]  # oldest open first
    assert reports(viewer).status == 403


def test_hide_removes_the_pitch_from_everyone_but_its_owner(admin):
    creator, viewer = make_user("creator"), make_user("investor")
    pitch = published_pitch(creator)
    made = report(viewer, "pitch", pitch["id"]).data
    assert resolve(viewer, made["id"], "hide").status == 403
    resolved = resolve(admin, made["id"], "hide", note="copyright")
    assert resolved.status == 200 and resolved.data["status"] == "resolved"
    assert get_pitch(viewer, pitch["id"]).status == 404
    assert get_pitch(creator, pitch["id"]).data["status"] == "hidden"
    assert pitch["id"] not in browse_ids()
    refused = update_pitch(creator, pitch["id"], status="published")
    assert (refused.status, refused.code) == (409, "HIDDEN_BY_MODERATION")
    assert reports(admin, status="resolved").data[0]["action"] == "hide"
    again = resolve(admin, made["id"], "dismiss")
    assert (again.status, again.code) == (409, "REPORT_RESOLVED")


def test_racing_resolutions_apply_once(admin):
    creator, viewer = make_user("creator"), make_user("investor")
    made = report(viewer, "pitch", published_pitch(creator)["id"]).data
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: resolve(admin, made["id"], "dismiss"), range(4)))
    assert sorted(answer.status for answer in answers) == [200, 409, 409, 409]


def test_hide_needs_a_pitch_and_ban_bans_the_content_owner(admin):
    creator, viewer = make_user("creator"), make_user("investor")
    made = report(viewer, "user", creator.id).data
    assert resolve(admin, made["id"], "hide").status == 422
    pitch_report = report(viewer, "pitch", published_pitch(creator)["id"]).data
    assert resolve(admin, pitch_report["id"], "ban").status == 200
    assert User.get(creator.id).status == "banned"
    assert hit("auth/me", "GET", "/api/auth/me", creator).status == 401


def test_featured_pitches_lead_browse_featured(admin):
    creator = make_user("creator")
    first, second, third = (published_pitch(creator, title=f"Pitch {n}") for n in range(3))
    assert browse_ids(sort="featured") == [third["id"], second["id"], first["id"]]
    assert feature(admin, first["id"]).data["featured"] is True
    assert browse_ids(sort="featured") == [first["id"], third["id"], second["id"]]
    assert browse_ids(sort="featured", limit="1")[0] == first["id"]
    assert browse_ids() == [third["id"], second["id"], first["id"]]  # newest is unchanged
    assert feature(admin, first["id"], "DELETE").data["featured"] is False
    assert browse_ids(sort="featured") == [third["id"], second["id"], first["id"]]
    assert feature(creator, first["id"]).status == 403
    draft = hit(
        "pitches/create",
        "POST",
        "/api/pitches",
        creator,
        body={"title": "Draft", "logline": "Not yet.", "genre": "drama", "format": "feature"},
    ).data
    assert feature(admin, draft["id"]).status == 409
    assert feature(admin, "missing").status == 404
