"""Investment HTTP rules through the handlers: create, transitions along the table, funding progress under
concurrency, the party rule, and the reads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from pitchey.core.audit import AuditEntry
from pitchey.investments.lifecycle import FORWARD
from pitchey.investments.models import Investment, InvestmentEvent, OpenInvestmentClaim, open_claim_key
from pitchey.notifications.models import Notification
from pitchey.pitches.models import Pitch
from tests.unit.accounts import make_user
from tests.unit.test_investments_support import (
    GOAL,
    MINIMUM,
    PATHS,
    api,
    bring_to,
    invest,
    move,
    ok,
    progress,
    sign_nda,
)

pytest_plugins = ("tests.unit.test_investments_support",)

INVESTMENT_FIELDS = {
    "id",
    "pitchId",
    "pitchTitle",
    "investorId",
    "creatorId",
    "amountCents",
    "currency",
    "status",
    "transactionId",
    "terms",
    "createdAt",
    "updatedAt",
    "timeline",
    "agreementAvailable",
}
QUARTER = GOAL // 4


@pytest.fixture
def world(crew, pitch_factory, investment_machine):
    return crew, pitch_factory(crew.creator)


def created(crew, pitch_id, amount=QUARTER, actor=None, **extra):
    return ok(invest(actor or crew.investor, pitch_id, amount, **extra), 201)["investment"]


# --- create ------------------------------------------------------------------------------------------------
def test_create_records_a_pending_investment_pledges_it_and_starts_the_workflow(world, investment_machine):
    crew, pitch_id = world
    answer = invest(crew.investor, pitch_id, QUARTER, terms="10% of net profits; monthly reports.")
    data = ok(answer, 201)
    investment = data["investment"]
    assert set(investment) == INVESTMENT_FIELDS
    assert investment["status"] == "pending" and investment["amountCents"] == QUARTER
    assert investment["currency"] == "USD" and investment["terms"] == "10% of net profits; monthly reports."
    assert investment["investorId"] == crew.investor.id and investment["creatorId"] == crew.creator.id
    assert investment["pitchTitle"] == "The Last Lighthouse Keeper"
    assert investment["transactionId"].startswith("txn_") and investment["agreementAvailable"] is False
    assert investment["timeline"] == [
        {"status": "pending", "at": investment["createdAt"], "byUserId": crew.investor.id, "note": None}
    ]
    assert data["fundingProgress"] == {
        "raisedCents": 0,
        "pledgedCents": QUARTER,
        "goalCents": GOAL,
        "percent": 0,
    }
    assert progress(pitch_id) == (0, QUARTER)
    execution = boto3.client("stepfunctions").describe_execution(
        executionArn=investment_machine.replace(":stateMachine:", ":execution:") + f":{investment['id']}"
    )
    assert execution["name"] == investment["id"]
    claim = OpenInvestmentClaim.get(open_claim_key(pitch_id, crew.investor.id))
    assert claim.investment_id == investment["id"]
    assert [e.status for e in InvestmentEvent.query(crew.investor.id)] == ["pending"]
    actions = [e.action for e in AuditEntry.query(crew.investor.id)]
    assert [a for a in actions if not a.startswith("credits.")] == ["investment.create"]


def test_the_alias_route_creates_too(world):
    crew, pitch_id = world
    from tests.events import call, http_event
    from tests.unit.test_investments_support import ROUTES

    event = http_event(
        "POST",
        "/api/investments/create",
        body={"pitchId": pitch_id, "amountCents": MINIMUM},
        token=crew.investor.token,
        route_key="POST /api/investments/create",
    )
    assert call(ROUTES.handler("create"), event).status == 201


@pytest.mark.parametrize("role", ["creator", "production"])
def test_only_investors_may_invest(world, role):
    crew, pitch_id = world
    actor = crew.creator if role == "creator" else crew.production
    answer = invest(actor, pitch_id)
    assert answer.status == 403 and answer.code == "FORBIDDEN"


@pytest.mark.parametrize("status", ["draft", "hidden", "archived"])
def test_unpublished_pitches_are_404(crew, pitch_factory, investment_machine, status):
    answer = invest(crew.investor, pitch_factory(crew.creator, status=status))
    assert answer.status == 404


def test_unknown_pitch_is_404(world):
    crew, _ = world
    assert invest(crew.investor, "no-such-pitch").status == 404


def test_a_pitch_not_seeking_investment_is_409(crew, pitch_factory, investment_machine):
    answer = invest(crew.investor, pitch_factory(crew.creator, seeking=False))
    assert answer.status == 409 and answer.code == "NOT_SEEKING_INVESTMENT"


def test_nda_required_until_signed(crew, pitch_factory, investment_machine):
    pitch_id = pitch_factory(crew.creator, requires_nda=True)
    answer = invest(crew.investor, pitch_id)
    assert answer.status == 422 and answer.code == "NDA_REQUIRED"
    assert progress(pitch_id) == (0, 0)
    sign_nda(crew.investor, crew.creator, pitch_id)
    assert invest(crew.investor, pitch_id).status == 201


def test_amount_must_reach_the_minimum_and_fit_under_the_goal(world):
    crew, pitch_id = world
    low = invest(crew.investor, pitch_id, MINIMUM - 1)
    assert low.status == 422 and low.body["error"]["details"][0]["field"] == "amountCents"
    high = invest(crew.investor, pitch_id, GOAL + 1)
    assert high.status == 422 and high.body["error"]["details"][0]["field"] == "amountCents"
    assert invest(crew.investor, pitch_id, GOAL).status == 201  # the whole goal is allowed
    assert progress(pitch_id) == (0, GOAL)


@pytest.mark.parametrize(
    "amount", [250000.0, 250000.5, -250000, 0, "250000", True, None, 10**12 + 1, 10**15, [250000]]
)
def test_amounts_are_integer_cents_only(world, amount):
    crew, pitch_id = world
    answer = api("create", crew.investor, body={"pitchId": pitch_id, "amountCents": amount})
    assert answer.status == 422 and answer.code == "VALIDATION_ERROR"
    assert answer.body["error"]["details"][0]["field"] == "amountCents"
    assert progress(pitch_id) == (0, 0)


@pytest.mark.parametrize(
    "body",
    [
        {"amountCents": MINIMUM},
        {"pitchId": "x", "amountCents": MINIMUM, "status": "committed"},
        {"pitchId": "x", "amountCents": MINIMUM, "investorId": "someone"},
        {"pitchId": "x", "amountCents": MINIMUM, "currency": "EUR"},
        {"pitchId": "x", "amountCents": MINIMUM, "terms": "x" * 5001},
    ],
)
def test_bad_bodies_are_422(world, body):
    crew, pitch_id = world
    body = {**body, "pitchId": pitch_id} if "pitchId" in body else body
    assert api("create", crew.investor, body=body).status == 422


def test_bad_json_is_400(world):
    crew, _ = world
    assert api("create", crew.investor, raw_body="{nope").status == 400


def test_one_open_investment_per_investor_and_pitch(world):
    crew, pitch_id = world
    first = created(crew, pitch_id)
    answer = invest(crew.investor, pitch_id)
    assert answer.status == 409 and answer.code == "INVESTMENT_EXISTS"
    assert progress(pitch_id) == (0, QUARTER)
    assert created(crew, pitch_id, actor=crew.other_investor)["status"] == "pending"  # others are independent
    ok(move(crew.investor, first["id"], "withdrawn"))
    assert created(crew, pitch_id)["status"] == "pending"  # closed, so a new one is allowed


def test_concurrent_creates_by_one_investor_make_one(world):
    crew, pitch_id = world
    barrier = threading.Barrier(6)

    def run(_):
        barrier.wait()
        return invest(crew.investor, pitch_id, MINIMUM)

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(run, range(6)))
    assert sorted(a.status for a in answers) == [201] + [409] * 5
    assert progress(pitch_id) == (0, MINIMUM)
    assert len(list(Investment.by_investor.query(crew.investor.id))) == 1


def test_idempotency_key_replays_the_first_answer(world):
    crew, pitch_id = world
    headers = {"Idempotency-Key": "invest-once-123"}
    body = {"pitchId": pitch_id, "amountCents": QUARTER}
    first = api("create", crew.investor, body=body, headers=headers)
    again = api("create", crew.investor, body=body, headers=headers)
    assert first.status == again.status == 201
    assert again.data["investment"]["id"] == first.data["investment"]["id"]
    assert progress(pitch_id) == (0, QUARTER)
    reused = api("create", crew.investor, body={**body, "amountCents": MINIMUM}, headers=headers)
    assert reused.status == 422 and reused.code == "IDEMPOTENCY_KEY_REUSED"


def test_a_workflow_that_cannot_start_leaves_nothing_behind(world, setenv):
    crew, pitch_id = world
    setenv("INVESTMENT_STATE_MACHINE_ARN", "arn:aws:states:us-east-1:123456789012:stateMachine:none")
    answer = invest(crew.investor, pitch_id)
    assert answer.status == 503 and answer.code == "SERVICE_UNAVAILABLE"
    assert progress(pitch_id) == (0, 0)
    assert list(Investment.by_investor.query(crew.investor.id)) == []
    assert list(InvestmentEvent.query(crew.investor.id)) == []
    with pytest.raises(OpenInvestmentClaim.DoesNotExist):
        OpenInvestmentClaim.get(open_claim_key(pitch_id, crew.investor.id))


# --- transitions -------------------------------------------------------------------------------------------
def test_happy_path_to_completed_with_exact_progress_at_each_step(world):
    crew, pitch_id = world
    investment = created(crew, pitch_id, QUARTER)
    expected = [
        (crew.creator, "due_diligence", (0, QUARTER)),
        (crew.creator, "negotiation", (0, QUARTER)),
        (crew.creator, "committed", (QUARTER, 0)),
        (crew.investor, "active", (QUARTER, 0)),
        (crew.creator, "completed", (QUARTER, 0)),
    ]
    for actor, to, (raised, pledged) in expected:
        data = ok(move(actor, investment["id"], to, note=f"to {to}"))
        assert data["investment"]["status"] == to
        assert data["fundingProgress"] == {
            "raisedCents": raised,
            "pledgedCents": pledged,
            "goalCents": GOAL,
            "percent": raised * 100 // GOAL,
        }
        assert progress(pitch_id) == (raised, pledged)
    timeline = ok(api("timeline", crew.investor, id=investment["id"]))
    assert [e["status"] for e in timeline] == list(FORWARD)
    assert [e["byUserId"] for e in timeline[1:]] == [crew.creator.id] * 3 + [
        crew.investor.id,
        crew.creator.id,
    ]
    assert timeline[1]["note"] == "to due_diligence"
    # Completed is terminal: the claim is released, nothing moves any more.
    with pytest.raises(OpenInvestmentClaim.DoesNotExist):
        OpenInvestmentClaim.get(open_claim_key(pitch_id, crew.investor.id))
    for actor in (crew.creator, crew.investor):
        answer = move(actor, investment["id"], "defaulted")
        assert answer.status == 409 and answer.code == "INVALID_TRANSITION"


REACHABLE = list(PATHS)
# API.md's statuses, written out here so the test checks the code against the contract.
ALL = [
    "pending",
    "due_diligence",
    "negotiation",
    "committed",
    "active",
    "completed",
    "rejected",
    "withdrawn",
    "defaulted",
    "expired",
]
ALLOWED = {
    ("creator", "pending"): {"due_diligence", "rejected"},
    ("creator", "due_diligence"): {"negotiation", "rejected"},
    ("creator", "negotiation"): {"committed"},
    ("creator", "committed"): {"defaulted"},
    ("creator", "active"): {"completed", "defaulted"},
    ("investor", "pending"): {"withdrawn"},
    ("investor", "due_diligence"): {"withdrawn"},
    ("investor", "negotiation"): {"withdrawn"},
    ("investor", "committed"): {"active"},
}


@pytest.mark.parametrize("state", REACHABLE)
@pytest.mark.parametrize("role", ["creator", "investor"])
def test_every_forbidden_edge_is_409_and_changes_nothing(world, state, role):
    crew, pitch_id = world
    investment = created(crew, pitch_id)
    bring_to(crew, investment["id"], state)
    before = progress(pitch_id)
    actor = getattr(crew, role)
    for to in ALL:
        if to in ALLOWED.get((role, state), set()):
            continue
        answer = move(actor, investment["id"], to)
        assert answer.status == 409 and answer.code == "INVALID_TRANSITION", (role, state, to)
    assert Investment.get(investment["id"]).status == state
    assert progress(pitch_id) == before
    assert len(Investment.get(investment["id"]).timeline) == len(PATHS[state]) + 1


def test_non_parties_get_404_on_every_route(world):
    crew, pitch_id = world
    investment = created(crew, pitch_id)
    for outsider in (crew.other_investor, crew.production, crew.stranger_creator):
        for name in ("get", "timeline", "agreement"):
            assert api(name, outsider, id=investment["id"]).status == 404, (outsider.role, name)
        for to in ("due_diligence", "withdrawn", "rejected"):
            assert move(outsider, investment["id"], to).status == 404
        assert api("pitch_investments", outsider, id=pitch_id).status == 404
    assert Investment.get(investment["id"]).status == "pending"
    assert api("get", crew.creator, id="no-such-id").status == 404
    assert api("get", crew.creator, id="x" * 300).status == 404


@pytest.mark.parametrize(
    "body", [{}, {"to": "banana"}, {"to": "expire"}, {"to": "due_diligence", "x": 1}, {"to": 3}]
)
def test_bad_transition_bodies_are_422(world, body):
    crew, pitch_id = world
    investment = created(crew, pitch_id)
    assert api("transition", crew.creator, id=investment["id"], body=body).status == 422


@pytest.mark.parametrize("stage", ["pending", "due_diligence", "negotiation"])
def test_withdraw_releases_the_pledge_and_the_claim(world, stage):
    crew, pitch_id = world
    investment = created(crew, pitch_id)
    bring_to(crew, investment["id"], stage)
    data = ok(move(crew.investor, investment["id"], "withdrawn", note="Changed my mind"))
    assert data["investment"]["status"] == "withdrawn"
    assert data["fundingProgress"]["pledgedCents"] == 0 and progress(pitch_id) == (0, 0)
    with pytest.raises(OpenInvestmentClaim.DoesNotExist):
        OpenInvestmentClaim.get(open_claim_key(pitch_id, crew.investor.id))


@pytest.mark.parametrize("stage", ["pending", "due_diligence"])
def test_reject_releases_the_pledge(world, stage):
    crew, pitch_id = world
    investment = created(crew, pitch_id)
    bring_to(crew, investment["id"], stage)
    data = ok(move(crew.creator, investment["id"], "rejected", note="Not a fit"))
    assert data["investment"]["status"] == "rejected" and progress(pitch_id) == (0, 0)
    assert data["investment"]["timeline"][-1] == {
        "status": "rejected",
        "at": data["investment"]["timeline"][-1]["at"],
        "byUserId": crew.creator.id,
        "note": "Not a fit",
    }


def test_racing_transitions_have_one_winner(world):
    crew, pitch_id = world
    investment = created(crew, pitch_id)
    # rejected and withdrawn exclude each other (both close it); so do two identical moves.
    moves = [(crew.creator, "rejected"), (crew.investor, "withdrawn"), (crew.creator, "rejected")]
    barrier = threading.Barrier(len(moves))

    def run(pair):
        barrier.wait()
        return pair[1], move(pair[0], investment["id"], pair[1])

    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(run, moves))
    assert sorted(a.status for _, a in answers) == [200, 409, 409]
    winner = next(to for to, a in answers if a.status == 200)
    stored = Investment.get(investment["id"])
    assert stored.status == winner and [e.status for e in stored.timeline] == ["pending", winner]
    assert progress(pitch_id) == (0, 0)
    assert len(list(InvestmentEvent.query(crew.investor.id))) == 2


def test_twelve_concurrent_commits_admit_exactly_four(crew, pitch_factory, investment_machine):
    pitch_id = pitch_factory(crew.creator)
    investors = [make_user("investor", first=f"Investor{n}", last="Parallel") for n in range(12)]
    ids = []
    for investor in investors:
        investment = ok(invest(investor, pitch_id, QUARTER), 201)["investment"]
        bring_to(crew, investment["id"], "negotiation")
        ids.append(investment["id"])
    assert progress(pitch_id) == (0, 12 * QUARTER)  # pledges may exceed the goal
    barrier = threading.Barrier(12)

    def commit(investment_id):
        barrier.wait()
        return move(crew.creator, investment_id, "committed")

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(commit, ids))
    codes = sorted((a.status, a.code) for a in answers)
    assert codes == [(200, None)] * 4 + [(409, "FUNDING_GOAL_EXCEEDED")] * 8
    assert progress(pitch_id) == (GOAL, 8 * QUARTER)
    statuses = sorted(Investment.get(i).status for i in ids)
    assert statuses == ["committed"] * 4 + ["negotiation"] * 8
    pitch = Pitch.get(pitch_id)
    assert pitch.seeking_investment is False and pitch.funding_closed_at


def test_reaching_the_goal_closes_the_pitch_and_a_default_reopens_it(world):
    crew, pitch_id = world
    follower = make_user("investor", first="Fay", last="Follower")
    from pitchey.follows.models import Follow, target_key

    Follow(
        follower.id,
        target_key("pitch", pitch_id),
        target_type="pitch",
        target_id=pitch_id,
        followed_at="2026-01-01T00:00:00.000000Z",
    ).save()
    whole = created(crew, pitch_id, GOAL)
    bring_to(crew, whole["id"], "negotiation")
    data = ok(move(crew.creator, whole["id"], "committed"))
    assert data["fundingProgress"] == {
        "raisedCents": GOAL,
        "pledgedCents": 0,
        "goalCents": GOAL,
        "percent": 100,
    }
    assert Pitch.get(pitch_id).seeking_investment is False
    updates = [n for n in Notification.query(follower.id) if n.type == "pitch_update"]
    assert len(updates) == 1 and updates[0].data["seekingInvestment"] is False
    late = invest(crew.other_investor, pitch_id, MINIMUM)
    assert late.status == 409 and late.code == "NOT_SEEKING_INVESTMENT"

    ok(move(crew.creator, whole["id"], "defaulted", note="Funds never arrived"))
    pitch = Pitch.get(pitch_id)
    assert pitch.seeking_investment is True and pitch.funding_closed_at is None
    assert progress(pitch_id) == (0, 0)
    assert len([n for n in Notification.query(follower.id) if n.type == "pitch_update"]) == 2
    assert invest(crew.other_investor, pitch_id, MINIMUM).status == 201


def test_a_default_from_active_lowers_raised(world):
    crew, pitch_id = world
    investment = created(crew, pitch_id)
    bring_to(crew, investment["id"], "active")
    assert progress(pitch_id) == (QUARTER, 0)
    ok(move(crew.creator, investment["id"], "defaulted"))
    assert progress(pitch_id) == (0, 0)


def test_a_stage_past_its_deadline_is_left_to_the_workflow(world):
    crew, pitch_id = world
    investment = created(crew, pitch_id)
    Investment(investment["id"]).update(actions=[Investment.expires_at.set("2020-01-01T00:00:00Z")])
    answer = move(crew.creator, investment["id"], "due_diligence")
    assert answer.status == 409 and answer.code == "INVALID_TRANSITION"


def test_a_transition_resumes_the_stage_wait_with_its_stored_token(world, monkeypatch):
    from pitchey.core import workflow

    sent = []
    monkeypatch.setattr(workflow, "resume", lambda token, outcome: sent.append((token, outcome)) or True)
    crew, pitch_id = world
    investment = created(crew, pitch_id)
    Investment(investment["id"]).update(actions=[Investment.pending_token.set("pending-token")])
    ok(move(crew.creator, investment["id"], "due_diligence"))
    assert sent == [("pending-token", "due_diligence")]
    ok(move(crew.creator, investment["id"], "negotiation"))  # no token stored for due_diligence yet
    assert sent == [("pending-token", "due_diligence")]
    stored = Investment.get(investment["id"])
    assert stored.pending_outcome == "due_diligence" and stored.due_diligence_outcome == "negotiation"


# --- reads --------------------------------------------------------------------------------------------------
def test_parties_read_the_investment(world):
    crew, pitch_id = world
    investment = created(crew, pitch_id)
    for party in (crew.creator, crew.investor):
        assert ok(api("get", party, id=investment["id"]))["id"] == investment["id"]


def test_portfolio_totals_and_lists_every_investment(crew, pitch_factory, investment_machine):
    pitches = [pitch_factory(crew.creator, title=f"Pitch {n}") for n in range(4)]
    amounts = [QUARTER, MINIMUM * 3, MINIMUM * 2, MINIMUM]
    ids = [created(crew, p, a)["id"] for p, a in zip(pitches, amounts, strict=True)]
    bring_to(crew, ids[0], "active")
    bring_to(crew, ids[1], "committed")
    ok(move(crew.investor, ids[2], "withdrawn"))
    data = ok(api("portfolio", crew.investor))
    assert data["totalInvestedCents"] == QUARTER + MINIMUM * 3
    assert data["activeCount"] == 3
    assert data["byStatus"] == {
        "active": {"count": 1, "amountCents": QUARTER},
        "committed": {"count": 1, "amountCents": MINIMUM * 3},
        "withdrawn": {"count": 1, "amountCents": MINIMUM * 2},
        "pending": {"count": 1, "amountCents": MINIMUM},
    }
    assert [i["id"] for i in data["investments"]] == list(reversed(ids))
    assert api("portfolio", crew.creator).status == 403


def test_history_lists_every_transition_newest_first_and_pages(world):
    crew, pitch_id = world
    investment = created(crew, pitch_id)
    bring_to(crew, investment["id"], "committed")
    first = api("history", crew.investor, query={"limit": "3"})
    rows = ok(first)
    assert [r["status"] for r in rows] == ["committed", "negotiation", "due_diligence"]
    assert set(rows[0]) == {"investmentId", "pitchId", "status", "at", "byUserId", "note"}
    assert rows[0]["investmentId"] == investment["id"] and rows[0]["byUserId"] == crew.creator.id
    cursor = first.body["metadata"]["nextCursor"]
    rest = ok(api("history", crew.investor, query={"limit": "3", "cursor": cursor}))
    assert [r["status"] for r in rest] == ["pending"]
    assert api("history", crew.investor, query={"cursor": "forged"}).status == 400
    assert ok(api("history", crew.other_investor)) == []


def test_the_owner_lists_a_pitchs_investments_by_status(world):
    crew, pitch_id = world
    one = created(crew, pitch_id)
    two = created(crew, pitch_id, actor=crew.other_investor)
    ok(move(crew.creator, one["id"], "due_diligence"))
    assert [i["id"] for i in ok(api("pitch_investments", crew.creator, id=pitch_id))] == [
        two["id"],
        one["id"],
    ]
    only = ok(api("pitch_investments", crew.creator, id=pitch_id, query={"status": "due_diligence"}))
    assert [i["id"] for i in only] == [one["id"]]
    assert api("pitch_investments", crew.creator, id=pitch_id, query={"status": "nope"}).status == 400
    assert api("pitch_investments", crew.investor, id=pitch_id).status == 404


def test_archiving_a_pitch_with_an_open_investment_is_409(world):
    from tests.unit.pitches_support import hit

    crew, pitch_id = world
    investment = created(crew, pitch_id)

    def archive():
        return hit(
            "pitches/delete", "DELETE", f"/api/pitches/{pitch_id}", crew.creator, path_params={"id": pitch_id}
        )

    creator = type("A", (), {"token": crew.creator.token})
    answer = hit(
        "pitches/delete", "DELETE", f"/api/pitches/{pitch_id}", creator, path_params={"id": pitch_id}
    )
    assert answer.status == 409 and answer.code == "HAS_INVESTMENTS"
    ok(move(crew.investor, investment["id"], "withdrawn"))
    assert archive().status == 200
    assert Pitch.get(pitch_id).status == "archived"


def test_recommendations_rank_by_follows_ndas_and_past_investments_with_reasons(
    crew, pitch_factory, investment_machine
):
    from pitchey.follows.models import Follow, target_key

    at = "2026-01-01T00:00:00.000000Z"
    invested = pitch_factory(crew.creator, genre="horror", format="short", title="Invested")
    followed = pitch_factory(crew.stranger_creator, genre="comedy", format="tv", title="Followed")
    signed = pitch_factory(
        crew.stranger_creator, genre="scifi", format="tv", title="Signed", requires_nda=True
    )
    pitch_factory(crew.creator, genre="drama", format="tv", title="By followed creator")
    pitch_factory(crew.stranger_creator, genre="horror", format="feature", title="Same genre")
    pitch_factory(crew.stranger_creator, genre="drama", format="feature", title="Plain")
    pitch_factory(crew.stranger_creator, genre="horror", seeking=False, title="Not seeking")
    pitch_factory(crew.stranger_creator, genre="horror", status="draft", title="Draft")
    created(crew, invested, MINIMUM)
    Follow(
        crew.investor.id,
        target_key("pitch", followed),
        target_type="pitch",
        target_id=followed,
        followed_at=at,
    ).save()
    Follow(
        crew.investor.id,
        target_key("user", crew.creator.id),
        target_type="user",
        target_id=crew.creator.id,
        followed_at=at,
    ).save()
    sign_nda(crew.investor, crew.stranger_creator, signed)

    ranked = ok(api("recommendations", crew.investor))
    titles = [r["pitch"]["title"] for r in ranked]
    assert "Invested" not in titles and "Not seeking" not in titles and "Draft" not in titles
    assert titles[0] == "Followed" and set(titles[1:3]) == {"Signed", "By followed creator"}
    assert titles.index("Same genre") < titles.index("Plain")
    reasons = {r["pitch"]["title"]: r["reasons"] for r in ranked}
    assert reasons["Followed"] == ["You follow this pitch"]
    assert reasons["Signed"] == ["You signed its NDA"]
    assert reasons["By followed creator"] == ["You follow its creator"]
    assert reasons["Same genre"] == ["You have invested in 1 horror pitch"]
    assert reasons["Plain"] == ["Recently published and seeking investment"]
    assert ranked[0]["score"] > ranked[-1]["score"]
    assert ranked[0]["pitch"]["id"] == followed and "canViewProtected" in ranked[0]["pitch"]
    assert len(ok(api("recommendations", crew.investor, query={"limit": "2"}))) == 2
    assert api("recommendations", crew.creator).status == 403
