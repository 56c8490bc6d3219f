"""The production service against moto: what each move writes together (claim, pitch counter, history),
and the activity fan-out."""

from __future__ import annotations

import pytest

from pitchey.activity import service as activity
from pitchey.activity.models import FeedItem
from pitchey.core.caller import Caller
from pitchey.core.errors import Conflict, NotFound
from pitchey.core.workflow import InvalidTransition
from pitchey.follows.models import Follow, target_key
from pitchey.pitches.models import Pitch
from pitchey.production import service
from pitchey.production.models import HISTORY, LiveProjectClaim, ProjectItem, live_claim_key
from pitchey.production.schemas import ProposeProject, UpdateProject
from tests.unit.accounts import make_user

pytest_plugins = ("tests.unit.test_ndas_support",)  # make_pitch


def as_caller(actor) -> Caller:
    return Caller(id=actor.id, role=actor.role, ip="198.51.100.7", user_agent="pytest")


@pytest.fixture
def world(aws, make_pitch):
    creator, company = make_user("creator"), make_user("production")
    pitch_id = make_pitch(creator, requires_nda=False)
    return as_caller(creator), as_caller(company), pitch_id


def proposal(pitch_id: str) -> ProposeProject:
    return ProposeProject.model_validate({"pitchId": pitch_id, "budgetCents": 100})


def claim_exists(company: Caller, pitch_id: str) -> bool:
    try:
        LiveProjectClaim.get(live_claim_key(company.id, pitch_id))
    except LiveProjectClaim.DoesNotExist:
        return False
    return True


def history(project_id: str) -> list[dict]:
    return [item.changes for item in ProjectItem.query(project_id, ProjectItem.sk.startswith(HISTORY))]


def test_the_claim_and_the_pitch_counter_move_with_the_status(world):
    creator, company, pitch_id = world
    project = service.propose(company, proposal(pitch_id))
    assert claim_exists(company, pitch_id) and Pitch.get(pitch_id).production_count in (0, None)
    service.accept(creator, project["id"])
    assert Pitch.get(pitch_id).production_count == 1
    service.update(company, project["id"], UpdateProject(status="paused"))
    assert Pitch.get(pitch_id).production_count == 1 and claim_exists(company, pitch_id)
    service.update(company, project["id"], UpdateProject(status="cancelled"))
    assert Pitch.get(pitch_id).production_count == 0 and not claim_exists(company, pitch_id)
    assert [c["status"]["to"] for c in history(project["id"])] == [
        "proposed",
        "active",
        "paused",
        "cancelled",
    ]
    with pytest.raises(InvalidTransition):
        service.update(company, project["id"], UpdateProject(title="Too late"))


def test_a_stale_read_loses_and_writes_nothing(world):
    creator, company, pitch_id = world
    project = service.propose(company, proposal(pitch_id))
    stale = service._load(project["id"])
    service.decline(creator, project["id"])
    with pytest.raises(InvalidTransition):
        service._apply(creator, stale, {"status": "active"})  # as a racing accept that read `proposed`
    assert Pitch.get(pitch_id).production_count in (0, None)
    assert len(history(project["id"])) == 2


def test_only_the_parties_see_a_project_and_a_second_live_one_is_refused(world, make_pitch):
    creator, company, pitch_id = world
    project = service.propose(company, proposal(pitch_id))
    with pytest.raises(Conflict) as refused:
        service.propose(company, proposal(pitch_id))
    assert refused.value.code == "PROJECT_EXISTS"
    for stranger in (as_caller(make_user("production")), as_caller(make_user("creator"))):
        with pytest.raises(NotFound):
            service.get(stranger, project["id"])
    with pytest.raises(
        NotFound
    ):  # the creator cannot take the company's moves, nor the company the creator's
        service.update(creator, project["id"], UpdateProject(title="x"))
    with pytest.raises(NotFound):
        service.accept(company, project["id"])


def test_activity_reaches_each_follower_once_and_never_the_actor(world):
    creator, company, pitch_id = world
    fan = make_user("investor")
    for follower, target in [
        (company.id, target_key("user", creator.id)),
        (company.id, target_key("pitch", pitch_id)),  # follows both: still one item
        (fan.id, target_key("pitch", pitch_id)),
        (creator.id, target_key("pitch", pitch_id)),  # the actor itself
    ]:
        Follow(follower, target, target_type=target.split("#")[0], target_id=pitch_id, followed_at="x").save()
    reached = activity.record(
        "pitch_published", pitch_id=pitch_id, creator_id=creator.id, actor_id=creator.id, summary="s"
    )
    assert reached == 2
    assert [i.type for i in FeedItem.query(company.id)] == ["pitch_published"]
    assert [i.type for i in FeedItem.query(fan.id)] == ["pitch_published"]
    assert list(FeedItem.query(creator.id)) == []
    with pytest.raises(ValueError):
        activity.record("gossip", pitch_id=pitch_id, creator_id=creator.id, actor_id=creator.id, summary="s")


def test_the_investments_overview_sums_the_pitches_behind_live_projects_once(world, make_pitch):
    creator, company, pitch_id = world
    other_pitch = make_pitch(make_user("creator"), requires_nda=False)
    Pitch(pitch_id).update(
        actions=[
            Pitch.funding_goal_cents.set(1_000_000),
            Pitch.funding_raised_cents.set(250_000),
            Pitch.funding_pledged_cents.set(40_000),
        ]
    )
    assert service.investments_overview(company) == {
        "projects": 0,
        "totalRaisedCents": 0,
        "totalPledgedCents": 0,
        "byProject": [],
    }
    live = service.propose(company, proposal(pitch_id))
    service.accept(creator, live["id"])
    service.update(company, live["id"], UpdateProject(status="paused"))  # paused still counts
    service.propose(company, proposal(other_pitch))  # proposed: not yet a project in production
    overview = service.investments_overview(company)
    assert overview == {
        "projects": 1,
        "totalRaisedCents": 250_000,
        "totalPledgedCents": 40_000,
        "byProject": [
            {
                "projectId": live["id"],
                "pitchId": pitch_id,
                "raisedCents": 250_000,
                "pledgedCents": 40_000,
                "goalCents": 1_000_000,
            }
        ],
    }
    assert service.investments_overview(creator)["projects"] == 0  # a creator's id owns no company projects


def test_each_funding_milestone_reaches_the_feed_once(world):
    from pitchey.investments import funding

    _, company, pitch_id = world
    Follow(
        company.id, target_key("pitch", pitch_id), target_type="pitch", target_id=pitch_id, followed_at="x"
    ).save()
    Pitch(pitch_id).update(actions=[Pitch.funding_goal_cents.set(1_000), Pitch.seeking_investment.set(True)])

    def raise_to(cents: int) -> list[str]:
        Pitch(pitch_id).update(actions=[Pitch.funding_raised_cents.set(cents)])
        funding.settle(pitch_id)
        funding.settle(pitch_id)  # a retry announces nothing new
        return [item.summary for item in FeedItem.query(company.id) if item.type == "funding_milestone"]

    assert raise_to(249) == []
    assert raise_to(600) == ['"The Last Lighthouse Keeper" raised 50% of its funding goal']  # 25 skipped
    assert len(raise_to(300)) == 1  # a default lowering raised takes nothing back
    assert len(raise_to(700)) == 1  # and 50% again is not news
    assert raise_to(1_000)[-1] == '"The Last Lighthouse Keeper" reached its funding goal'
    assert len(raise_to(1_000)) == 2
