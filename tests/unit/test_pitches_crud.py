"""Pitch create/read/update/archive: ownership, protected fields, views, history, notifications."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from pitchey.core.db import TransactionCancelled
from pitchey.investments.models import Investment
from pitchey.investments.queries import has_open_investments
from pitchey.notifications.models import Notification
from pitchey.pitches import service
from pitchey.pitches.models import Pitch, PitchHistory, PitchView
from tests.unit.accounts import make_user
from tests.unit.pitches_support import create_pitch, get_pitch, hit, published_pitch, update_pitch
from tests.unit.test_investments_support import sign_nda


def delete_pitch(actor, pitch_id):
    return hit("pitches/delete", "DELETE", f"/api/pitches/{pitch_id}", actor, path_params={"id": pitch_id})


def history_of(actor, pitch_id, **query):
    return hit(
        "pitches/history",
        "GET",
        f"/api/pitches/{pitch_id}/history",
        actor,
        path_params={"id": pitch_id},
        query=query or None,
    )


# --- create -------------------------------------------------------------------------------------------
def test_creator_creates_a_draft_with_defaults(aws):
    creator = make_user("creator")
    pitch = create_pitch(creator, customNdaText="Keep it secret.", requiresNDA=True, budgetCents=5_000_000)
    assert pitch["status"] == "draft" and pitch["creatorId"] == creator.id
    assert pitch["viewCount"] == pitch["likeCount"] == pitch["followerCount"] == 0
    assert pitch["fundingRaisedCents"] == 0 and pitch["minInvestmentCents"] == 100_000
    assert pitch["media"] == [] and pitch["themes"] == [] and pitch["publishedAt"] is None
    assert pitch["canViewProtected"] is True and pitch["budgetCents"] == 5_000_000
    assert pitch["inProduction"] is False  # always present; true only while a project is active or paused
    assert pitch["ndaType"] == "basic"  # requiresNDA without a type gets the basic NDA
    assert pitch["customNdaText"] == "Keep it secret."
    assert pitch["createdAt"].endswith("Z") and len(pitch["createdAt"]) == 20
    stored = Pitch.get(pitch["id"])
    assert stored.custom_nda_text == "Keep it secret." and stored.version == 1


@pytest.mark.parametrize("role", ["investor", "production"])
def test_only_creators_create(aws, role):
    answer = hit("pitches/create", "POST", "/api/pitches", make_user(role), body={"title": "x"})
    assert answer.status == 403 and answer.code == "FORBIDDEN"


def test_create_requires_authentication(aws):
    assert hit("pitches/create", "POST", "/api/pitches", None, body={}).status == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"logline": "l", "genre": "drama", "format": "tv"}, "title"),
        ({"title": "", "logline": "l", "genre": "drama", "format": "tv"}, "title"),
        ({"title": "x" * 201, "logline": "l", "genre": "drama", "format": "tv"}, "title"),
        ({"title": "t", "logline": "l" * 501, "genre": "drama", "format": "tv"}, "logline"),
        ({"title": "t", "logline": "l", "genre": "musical", "format": "tv"}, "genre"),
        ({"title": "t", "logline": "l", "genre": "drama", "format": "podcast"}, "format"),
        ({"title": "t", "logline": "l", "genre": "drama", "format": "tv", "budgetCents": -1}, "budgetCents"),
        (
            {"title": "t", "logline": "l", "genre": "drama", "format": "tv", "budgetCents": 10.5},
            "budgetCents",
        ),
        (
            {"title": "t", "logline": "l", "genre": "drama", "format": "tv", "budgetCents": "100"},
            "budgetCents",
        ),
        ({"title": "t", "logline": "l", "genre": "drama", "format": "tv", "ndaType": "strict"}, "ndaType"),
        ({"title": "t", "logline": "l", "genre": "drama", "format": "tv", "seekingInvestment": "yes"}, None),
    ],
)
def test_create_validation_is_422_naming_the_field(aws, body, field):
    answer = hit("pitches/create", "POST", "/api/pitches", make_user(), body=body)
    assert answer.status == 422 and answer.code == "VALIDATION_ERROR"
    if field:
        assert field in [d["field"] for d in answer.body["error"]["details"]]


@pytest.mark.parametrize(
    "field",
    [
        "id",
        "creatorId",
        "status",
        "viewCount",
        "likeCount",
        "followerCount",
        "fundingRaisedCents",
        "createdAt",
        "updatedAt",
        "publishedAt",
        "media",
        "canViewProtected",
        "inProduction",
        "productionCount",
        "somethingElse",
    ],
)
def test_server_owned_and_unknown_fields_are_refused_on_create(aws, field):
    body = {"title": "t", "logline": "l", "genre": "drama", "format": "tv", field: "x"}
    creator = make_user()
    answer = hit("pitches/create", "POST", "/api/pitches", creator, body=body)
    assert answer.status == 422
    assert {"field": field, "message": "Unknown or read-only field"} in answer.body["error"]["details"]
    assert list(Pitch.by_creator.query(creator.id)) == []


@pytest.mark.parametrize("goal", [None, 0])
def test_seeking_investment_needs_a_positive_goal(aws, goal):
    body = {"title": "t", "logline": "l", "genre": "drama", "format": "tv", "seekingInvestment": True}
    if goal is not None:
        body["fundingGoalCents"] = goal
    answer = hit("pitches/create", "POST", "/api/pitches", make_user(), body=body)
    assert answer.status == 422
    assert answer.body["error"]["details"][0]["field"] == "fundingGoalCents"


def test_seeking_investment_with_goal_is_created(aws):
    pitch = create_pitch(make_user(), seekingInvestment=True, fundingGoalCents=50_000_000)
    assert pitch["seekingInvestment"] is True and pitch["fundingGoalCents"] == 50_000_000


# --- read and visibility -----------------------------------------------------------------------------------
def test_drafts_are_visible_only_to_their_owner(aws):
    owner, other_creator, investor = make_user(), make_user(), make_user("investor")
    pitch = create_pitch(owner)
    assert get_pitch(owner, pitch["id"]).status == 200
    for caller in (other_creator, investor, None):
        answer = get_pitch(caller, pitch["id"])
        assert answer.status == 404 and answer.code == "NOT_FOUND"
        assert "The Long Night" not in str(answer.body)


def test_unknown_pitch_is_404(aws):
    assert get_pitch(None, "nope").status == 404


def test_published_pitch_is_public(aws):
    pitch = published_pitch(make_user())
    answer = get_pitch(None, pitch["id"])
    assert answer.status == 200 and answer.data["status"] == "published"
    assert answer.data["publishedAt"] is not None


def test_hidden_and_archived_pitches_are_gone_for_everyone_but_the_owner(aws):
    owner, investor = make_user(), make_user("investor")
    pitch = published_pitch(owner)
    assert update_pitch(owner, pitch["id"], status="hidden").status == 200
    assert get_pitch(investor, pitch["id"]).status == 404
    assert delete_pitch(owner, pitch["id"]).status == 200
    assert get_pitch(investor, pitch["id"]).status == 404
    assert get_pitch(None, pitch["id"]).status == 404
    assert get_pitch(owner, pitch["id"]).data["status"] == "archived"


def test_protected_fields_are_absent_without_nda_and_present_with_access(aws):
    owner, investor, signer = make_user(), make_user("investor"), make_user("investor")
    pitch = published_pitch(owner, requiresNDA=True, longSynopsis="The whole story.", budgetCents=9_000_000)
    sign_nda(signer, owner, pitch["id"])
    for caller in (None, investor):
        data = get_pitch(caller, pitch["id"]).data
        assert "longSynopsis" not in data and "budgetCents" not in data
        assert data["canViewProtected"] is False
        assert data["shortSynopsis"] == "A storm, a keeper, a ship."
    signed = get_pitch(signer, pitch["id"]).data
    assert signed["canViewProtected"] is True
    assert signed["longSynopsis"] == "The whole story." and signed["budgetCents"] == 9_000_000
    own = get_pitch(owner, pitch["id"]).data
    assert own["canViewProtected"] is True and own["longSynopsis"] == "The whole story."


def test_an_access_period_that_has_ended_closes_the_protected_fields_at_once(aws):
    """The grant carries the end of the access period: reads refuse it from then on, before the workflow's
    expiry step has run."""
    from pitchey.core import clock
    from pitchey.ndas.models import OpenNdaClaim, open_claim_key

    owner, signer = make_user(), make_user("investor")
    pitch = published_pitch(owner, requiresNDA=True, longSynopsis="The whole story.")
    sign_nda(signer, owner, pitch["id"])
    grant = OpenNdaClaim.get(open_claim_key(pitch["id"], signer.id))
    grant.update(actions=[OpenNdaClaim.access_ends_at.set(clock.epoch() + 60)])
    assert get_pitch(signer, pitch["id"]).data["canViewProtected"] is True
    grant.update(actions=[OpenNdaClaim.access_ends_at.set(clock.epoch())])
    data = get_pitch(signer, pitch["id"]).data
    assert data["canViewProtected"] is False and "longSynopsis" not in data


def test_default_nda_lookup_answers_no(aws):
    owner, investor = make_user(), make_user("investor")
    pitch = published_pitch(owner, requiresNDA=True, longSynopsis="Secret")
    assert "longSynopsis" not in get_pitch(investor, pitch["id"]).data


def test_pitch_without_nda_shows_protected_fields_to_anyone(aws):
    pitch = published_pitch(make_user(), longSynopsis="Open book", budgetCents=100)
    data = get_pitch(None, pitch["id"]).data
    assert (
        data["canViewProtected"] is True
        and data["longSynopsis"] == "Open book"
        and data["budgetCents"] == 100
    )
    assert "customNdaText" not in data  # the owner's NDA text is not part of the public view


# --- views ------------------------------------------------------------------------------------------------
def test_views_count_once_per_viewer_per_window_and_never_for_the_owner(aws):
    owner, investor = make_user(), make_user("investor")
    pitch = published_pitch(owner)
    pid = pitch["id"]
    assert get_pitch(owner, pid).data["viewCount"] == 0
    assert get_pitch(investor, pid).data["viewCount"] == 1
    assert get_pitch(investor, pid).data["viewCount"] == 1
    assert get_pitch(None, pid, headers={"user-agent": "browser-a"}).data["viewCount"] == 2
    assert get_pitch(None, pid, headers={"user-agent": "browser-a"}).data["viewCount"] == 2
    # another User-Agent from the same address is the same anonymous viewer (issue #11)
    assert get_pitch(None, pid, headers={"user-agent": "browser-b"}).data["viewCount"] == 2
    assert (
        get_pitch(None, pid, headers={"user-agent": "browser-a"}, source_ip="203.0.113.9").data["viewCount"]
        == 3
    )
    assert get_pitch(owner, pid).data["viewCount"] == 3
    # When the 30-minute marker has lapsed (even if TTL has not removed it yet) the viewer counts again.
    marker = PitchView.get(f"{pid}#user:{investor.id}")
    marker.update(actions=[PitchView.ttl.set(1)])
    assert get_pitch(investor, pid).data["viewCount"] == 4
    assert Pitch.get(pid).popularity == 4


# --- update ---------------------------------------------------------------------------------------------
def test_other_users_cannot_update_or_delete_a_pitch(aws):
    owner, other, investor = make_user(), make_user(), make_user("investor")
    pitch = create_pitch(owner)
    for caller in (other, investor):
        answer = update_pitch(caller, pitch["id"], title="Mine now")
        assert answer.status == 404 and answer.code == "NOT_FOUND"
        assert delete_pitch(caller, pitch["id"]).status == 404
        assert history_of(caller, pitch["id"]).status == 404
    assert Pitch.get(pitch["id"]).title == "The Long Night" and Pitch.get(pitch["id"]).status == "draft"


def test_partial_update_changes_only_the_sent_fields_and_records_history(aws):
    owner = make_user()
    pitch = create_pitch(owner, targetAudience="Adults", themes=["grief"])
    answer = update_pitch(owner, pitch["id"], title="The Longer Night", themes=["grief", "hope"])
    assert answer.status == 200
    data = answer.data
    assert data["title"] == "The Longer Night" and data["themes"] == ["grief", "hope"]
    assert data["targetAudience"] == "Adults" and data["logline"] == pitch["logline"]
    entries = history_of(owner, pitch["id"]).data
    assert len(entries) == 1
    assert entries[0]["changes"] == {
        "title": {"from": "The Long Night", "to": "The Longer Night"},
        "themes": {"from": ["grief"], "to": ["grief", "hope"]},
    }
    assert entries[0]["at"].endswith("Z")
    assert Pitch.get(pitch["id"]).search_title == "the longer night"


def test_null_clears_optional_fields_but_not_required_ones(aws):
    owner = make_user()
    pitch = create_pitch(owner, targetAudience="Adults", budgetCents=10)
    answer = update_pitch(owner, pitch["id"], targetAudience=None, budgetCents=None)
    assert answer.status == 200
    assert answer.data["targetAudience"] is None and answer.data["budgetCents"] is None
    refused = update_pitch(owner, pitch["id"], title=None)
    assert refused.status == 422 and refused.body["error"]["details"][0]["field"] == "title"


def test_an_update_that_changes_nothing_records_nothing(aws):
    owner = make_user()
    pitch = create_pitch(owner)
    assert update_pitch(owner, pitch["id"], title=pitch["title"]).status == 200
    assert history_of(owner, pitch["id"]).data == []


@pytest.mark.parametrize(
    "field",
    [
        "id",
        "creatorId",
        "viewCount",
        "likeCount",
        "followerCount",
        "fundingRaisedCents",
        "publishedAt",
        "inProduction",
    ],
)
def test_server_owned_fields_are_refused_on_update(aws, field):
    owner = make_user()
    pitch = create_pitch(owner)
    answer = update_pitch(owner, pitch["id"], **{field: 5})
    assert answer.status == 422
    assert answer.body["error"]["details"][0]["field"] == field
    assert history_of(owner, pitch["id"]).data == []


def test_publishing_checks_the_required_fields(aws):
    owner = make_user()
    pitch = create_pitch(owner)  # no shortSynopsis
    answer = update_pitch(owner, pitch["id"], status="published")
    assert answer.status == 422
    assert [d["field"] for d in answer.body["error"]["details"]] == ["shortSynopsis"]
    assert Pitch.get(pitch["id"]).status == "draft"
    answer = update_pitch(owner, pitch["id"], status="published", shortSynopsis="Now complete")
    assert answer.status == 200 and answer.data["status"] == "published"


def test_publishing_a_pitch_seeking_investment_needs_a_goal(aws):
    owner = make_user()
    pitch = create_pitch(owner, shortSynopsis="s")
    answer = update_pitch(owner, pitch["id"], seekingInvestment=True, status="published")
    assert answer.status == 422
    assert "fundingGoalCents" in [d["field"] for d in answer.body["error"]["details"]]


def test_a_published_pitch_cannot_lose_its_required_fields(aws):
    owner = make_user()
    pitch = published_pitch(owner)
    answer = update_pitch(owner, pitch["id"], shortSynopsis=None)
    assert answer.status == 422
    assert Pitch.get(pitch["id"]).short_synopsis


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([], "hidden"),
        (["published"], "draft"),
        (["published", "hidden"], "draft"),
        (["archived"], "published"),
        (["archived"], "draft"),
        (["published", "archived"], "hidden"),
    ],
)
def test_invalid_transitions_are_409(aws, path, target):
    owner = make_user()
    pitch = create_pitch(owner, shortSynopsis="s")
    for status in path:
        assert update_pitch(owner, pitch["id"], status=status).status == 200
    answer = update_pitch(owner, pitch["id"], status=target)
    assert answer.status == 409 and answer.code == "INVALID_TRANSITION"


def test_published_and_hidden_swap_and_keep_the_first_publication_time(aws):
    owner = make_user()
    pitch = published_pitch(owner)
    hidden = update_pitch(owner, pitch["id"], status="hidden").data
    assert hidden["status"] == "hidden" and hidden["publishedAt"] == pitch["publishedAt"]
    assert Pitch.get(pitch["id"]).pub_key is None
    again = update_pitch(owner, pitch["id"], status="published").data
    assert again["publishedAt"] == pitch["publishedAt"]
    statuses = [e["changes"]["status"] for e in history_of(owner, pitch["id"]).data]
    assert statuses == [
        {"from": "hidden", "to": "published"},
        {"from": "published", "to": "hidden"},
        {"from": "draft", "to": "published"},
    ]


def test_a_stale_write_is_refused_and_the_other_edit_survives(aws):
    owner = make_user()
    pitch = create_pitch(owner)
    stale = Pitch.get(pitch["id"])
    assert update_pitch(owner, pitch["id"], logline="Edited elsewhere").status == 200
    changes = {"title": {"from": stale.title, "to": "Stale"}}
    after = {**service._state(stale), "title": "Stale"}
    with pytest.raises(TransactionCancelled) as refused:
        service._write(stale, owner.id, changes, after)
    assert refused.value.failed == {"pitch": "ConditionalCheckFailed"}
    fresh = Pitch.get(pitch["id"])
    assert fresh.logline == "Edited elsewhere" and fresh.title == "The Long Night" and fresh.version == 2


def test_concurrent_updates_of_different_fields_are_all_kept(aws):
    owner = make_user()
    pitch = create_pitch(owner)
    edits = [
        {"title": "T2"},
        {"logline": "L2"},
        {"targetAudience": "Teens"},
        {"shortSynopsis": "S2"},
        {"budgetCents": 42},
    ]
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda edit: update_pitch(owner, pitch["id"], **edit), edits))
    applied = [edit for edit, answer in zip(edits, answers, strict=True) if answer.status == 200]
    assert all(a.status == 200 or a.code == "CONCURRENT_UPDATE" for a in answers)
    assert len(applied) >= 1
    final = get_pitch(owner, pitch["id"]).data
    for edit in applied:
        for field, value in edit.items():
            assert final[field] == value
    assert len(history_of(owner, pitch["id"]).data) == len(applied)


# --- history ---------------------------------------------------------------------------------------------
def test_history_is_newest_first_paginated_and_owner_only(aws):
    owner, investor = make_user(), make_user("investor")
    pitch = published_pitch(owner)
    for n in range(3):
        assert update_pitch(owner, pitch["id"], title=f"Title {n}").status == 200
    first = history_of(owner, pitch["id"], limit="2")
    assert [e["changes"]["title"]["to"] for e in first.data] == ["Title 2", "Title 1"]
    assert first.body["metadata"]["page"] == 1 and first.body["metadata"]["nextCursor"]
    second = history_of(owner, pitch["id"], limit="2", cursor=first.body["metadata"]["nextCursor"])
    assert [list(e["changes"]) for e in second.data] == [["title"], ["status"]]
    assert second.body["metadata"]["nextCursor"] is None and second.body["metadata"]["page"] == 2
    assert history_of(investor, pitch["id"]).status == 404  # published, but the history is the owner's
    assert history_of(owner, pitch["id"], cursor="forged").status == 400
    assert len(list(PitchHistory.query(pitch["id"]))) == 4


# --- notifications ----------------------------------------------------------------------------------------
def follow(actor, target_type, target_id):
    body = {"targetType": target_type, "targetId": target_id}
    return hit("follows/follow", "POST", "/api/follows", actor, body=body)


def notifications_of(user):
    return [n for n in Notification.query(user.id) if n.type == "pitch_update"]


def test_changes_to_a_published_pitch_notify_followers_of_the_pitch_and_the_creator(aws):
    owner, pitch_fan, creator_fan, both, bystander = (
        make_user(),
        make_user("investor"),
        make_user("production"),
        make_user("investor"),
        make_user("investor"),
    )
    draft = create_pitch(owner, shortSynopsis="s")
    assert follow(creator_fan, "user", owner.id).status == 201
    assert follow(both, "user", owner.id).status == 201
    assert update_pitch(owner, draft["id"], title="Still a draft").status == 200
    assert notifications_of(creator_fan) == []  # drafts are nobody's business

    assert update_pitch(owner, draft["id"], status="published").status == 200  # becomes public: news
    assert len(notifications_of(creator_fan)) == 1
    assert follow(pitch_fan, "pitch", draft["id"]).status == 201
    assert follow(both, "pitch", draft["id"]).status == 201

    assert update_pitch(owner, draft["id"], logline="A sharper logline").status == 200
    for fan in (pitch_fan, creator_fan, both):
        latest = notifications_of(fan)[-1]
        assert latest.data["pitchId"] == draft["id"] and latest.data["fields"] == ["logline"]
        assert latest.read is False and latest.unread_user_id == fan.id
    assert len(notifications_of(both)) == 2  # once per change even when following pitch and creator
    assert notifications_of(bystander) == [] and notifications_of(owner) == []


def test_notify_many_writes_one_notification_per_distinct_user(aws):
    from pitchey.notifications.service import notify_many

    ids = [f"user-{n}" for n in range(30)]
    assert notify_many([*ids, "user-0"], "pitch_update", "Pitch updated", "body", {"pitchId": "p"}) == 30
    for user_id in ids:
        (item,) = list(Notification.query(user_id))
        assert item.type == "pitch_update" and item.data == {"pitchId": "p"} and item.read is False
    with pytest.raises(ValueError):
        notify_many(["x"], "nonsense", "t", "b")


# --- delete (archive) -----------------------------------------------------------------------------------
def add_investment(pitch_id, status, investment_id=None):
    Investment(
        investment_id or f"inv-{status}-{pitch_id}",
        pitch_id=pitch_id,
        pitch_title="A pitch",
        transaction_id=f"txn-{status}",
        investor_id="investor-1",
        creator_id="creator-1",
        amount_cents=100_000,
        status=status,
        created_at="2026-01-01T00:00:00.000000Z",
        updated_at="2026-01-01T00:00:00.000000Z",
    ).save()


def test_has_open_investments_reads_only_non_terminal_ones_of_that_pitch(aws):
    assert has_open_investments("p1") is False
    for status in ("completed", "rejected", "withdrawn", "defaulted", "expired"):
        add_investment("p1", status)
    add_investment("p2", "pending")
    assert has_open_investments("p1") is False
    for status in ("pending", "due_diligence", "negotiation", "committed", "active"):
        add_investment("p3", status, investment_id=f"open-{status}")
        assert has_open_investments("p3") is True


def test_delete_archives_unless_investments_are_open(aws):
    owner = make_user()
    pitch = published_pitch(owner)
    add_investment(pitch["id"], "negotiation")
    answer = delete_pitch(owner, pitch["id"])
    assert answer.status == 409 and answer.code == "HAS_INVESTMENTS"
    archive_by_update = update_pitch(owner, pitch["id"], status="archived")
    assert archive_by_update.status == 409 and archive_by_update.code == "HAS_INVESTMENTS"
    assert Pitch.get(pitch["id"]).status == "published"
    Investment.get(f"inv-negotiation-{pitch['id']}").update(actions=[Investment.status.set("completed")])
    answer = delete_pitch(owner, pitch["id"])
    assert answer.status == 200 and answer.data["status"] == "archived"
    assert delete_pitch(owner, pitch["id"]).status == 200  # archiving again changes nothing
    assert history_of(owner, pitch["id"]).data[0]["changes"] == {
        "status": {"from": "published", "to": "archived"}
    }


def test_archiving_keeps_the_media_records(aws):
    owner = make_user()
    pitch = create_pitch(owner)
    body = {"fileName": "poster.png", "contentType": "image/png", "sizeBytes": 1000, "kind": "image"}
    path = f"/api/pitches/{pitch['id']}/media"
    created = hit("pitches/media_upload", "POST", path, owner, body=body, path_params={"id": pitch["id"]})
    assert created.status == 201
    assert delete_pitch(owner, pitch["id"]).status == 200
    media = get_pitch(owner, pitch["id"]).data["media"]
    assert [m["id"] for m in media] == [created.data["mediaId"]]


# --- my pitches -------------------------------------------------------------------------------------------
def test_my_pitches_lists_every_own_pitch_newest_first(aws):
    owner, other = make_user(), make_user()
    first = create_pitch(owner, title="First")
    second = published_pitch(owner, title="Second")
    third = create_pitch(owner, title="Third")
    assert delete_pitch(owner, first["id"]).status == 200
    create_pitch(other, title="Not mine")
    answer = hit("pitches/my", "GET", "/api/pitches/my", owner, query={"limit": "2"})
    assert [p["title"] for p in answer.data] == ["Third", "Second"]
    rest = hit(
        "pitches/my", "GET", "/api/pitches/my", owner, query={"cursor": answer.body["metadata"]["nextCursor"]}
    )
    assert [(p["title"], p["status"]) for p in rest.data] == [("First", "archived")]
    assert rest.body["metadata"]["nextCursor"] is None
    assert {p["id"] for p in answer.data + rest.data} == {first["id"], second["id"], third["id"]}
    assert hit("pitches/my", "GET", "/api/pitches/my", make_user("investor")).status == 403


def test_absurdly_long_ids_are_404_not_500(aws):
    owner = make_user()
    long_id = "x" * 3000
    assert get_pitch(None, long_id).status == 404
    assert update_pitch(owner, long_id, title="t").status == 404
    assert delete_pitch(owner, long_id).status == 404
    unfollow = hit(
        "follows/unfollow",
        "DELETE",
        "/",
        owner,
        path_params={"targetType": "user", "targetId": long_id},
    )
    assert unfollow.status == 404
