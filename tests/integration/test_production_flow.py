"""The production portal through the local runtime: NDA → proposal → acceptance → stages → budget and
expenses → budget analytics, role checks on every route, and racing proposals."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.integration.accounts import Account, register
from tests.integration.test_ndas_flow import error, nda_action, nda_request, ok, published_pitch, wait_for

pytestmark = pytest.mark.integration

PROJECT_FIELDS = {
    "id",
    "pitchId",
    "pitchTitle",
    "companyId",
    "creatorId",
    "title",
    "status",
    "stage",
    "budgetCents",
    "spentCents",
    "startDate",
    "targetReleaseDate",
    "createdAt",
    "updatedAt",
}


def signed_nda(runtime: Any, creator: Account, company: Account, pitch_id: str) -> None:
    nda = ok(nda_request(runtime, company, pitch_id), 201)
    ok(nda_action(runtime, creator, nda["id"], "approve"))
    ok(nda_action(runtime, company, nda["id"], "sign", {"signerName": "Ada Studio", "accept": True}))


def propose(runtime: Any, company: Account, pitch_id: str, **extra: Any) -> httpx.Response:
    body = {"pitchId": pitch_id, "budgetCents": 1_500_000_00, **extra}
    return runtime.client.post("/api/production/projects", json=body, headers=company.headers)


def project_path(project_id: str, tail: str = "") -> str:
    return f"/api/production/projects/{project_id}{tail}"


def project_notified(runtime: Any, who: Account, project_id: str, status: str) -> bool:
    answer = runtime.client.get("/api/notifications", headers=who.headers)
    return any(
        n["type"] == "project_update"
        and n["data"].get("projectId") == project_id
        and n["data"]["status"] == status
        for n in ok(answer)
    )


@pytest.fixture(scope="module")
def cast(runtime: Any) -> dict[str, Account]:
    return {
        "creator": register(runtime, "creator", "Maya", "Reyes"),
        "company": register(runtime, "production", "Ada", "Studio", company="Lighthouse Films"),
        "rival": register(runtime, "production", "Bo", "Rival", company="Other Pictures"),
        "investor": register(runtime, "investor", "Marcus", "Whitfield"),
    }


def test_nda_proposal_acceptance_stages_budget_and_exact_analytics(runtime: Any, cast: dict[str, Account]):
    client, creator, company = runtime.client, cast["creator"], cast["company"]
    pitch = published_pitch(runtime, creator)
    assert pitch["inProduction"] is False
    error(propose(runtime, company, pitch["id"]), 422, "NDA_REQUIRED")
    signed_nda(runtime, creator, company, pitch["id"])

    project = ok(
        propose(runtime, company, pitch["id"], startDate="2027-03-01", message="Let us make it"), 201
    )
    assert set(project) == PROJECT_FIELDS
    assert (project["status"], project["stage"], project["spentCents"]) == ("proposed", "development", 0)
    assert project["title"] == pitch["title"] and project["creatorId"] == creator.id
    error(propose(runtime, company, pitch["id"]), 409, "PROJECT_EXISTS")
    wait_for(lambda: project_notified(runtime, creator, project["id"], "proposed"))

    # The company cannot decide its own proposal; a stage cannot move before acceptance.
    error(
        client.post(project_path(project["id"], "/accept"), json={}, headers=company.headers),
        403,
        "FORBIDDEN",
    )
    answer = client.put(project_path(project["id"]), json={"stage": "production"}, headers=company.headers)
    error(answer, 409, "INVALID_TRANSITION")

    active = ok(client.post(project_path(project["id"], "/accept"), headers=creator.headers))
    assert active["status"] == "active"
    error(
        client.post(project_path(project["id"], "/decline"), headers=creator.headers),
        409,
        "INVALID_TRANSITION",
    )
    wait_for(lambda: project_notified(runtime, company, project["id"], "active"))
    assert ok(client.get(f"/api/pitches/{pitch['id']}"))["inProduction"] is True

    # Stages: forward with skipping; back is refused.
    moved = ok(client.put(project_path(project["id"]), json={"stage": "production"}, headers=company.headers))
    assert moved["stage"] == "production"
    answer = client.put(
        project_path(project["id"]), json={"stage": "pre_production"}, headers=company.headers
    )
    error(answer, 409, "INVALID_TRANSITION")
    creator_put = client.put(project_path(project["id"]), json={"title": "x"}, headers=creator.headers)
    error(creator_put, 403, "FORBIDDEN")
    wait_for(lambda: project_notified(runtime, creator, project["id"], "active"))

    # Budget: one line per category (again replaces), expenses in cents, analytics exact.
    lines = project_path(project["id"], "/budget-lines")
    ok(
        client.post(lines, json={"category": "cast", "plannedCents": 500_000_01}, headers=company.headers),
        201,
    )
    ok(
        client.post(lines, json={"category": "cast", "plannedCents": 400_000_33}, headers=company.headers),
        201,
    )
    ok(
        client.post(lines, json={"category": "crew", "plannedCents": 250_000_00}, headers=company.headers),
        201,
    )
    expenses = project_path(project["id"], "/expenses")
    for category, cents, day in [
        ("cast", 120_000_17, "2027-03-04"),
        ("cast", 30_000_05, "2027-04-30"),
        ("crew", 99_99, "2027-04-01"),
        ("marketing", 1, "2027-05-15"),
    ]:
        body = {"category": category, "amountCents": cents, "description": "spend", "incurredOn": day}
        expense = ok(client.post(expenses, json=body, headers=company.headers), 201)
        assert expense["amountCents"] == cents
    bad = {"category": "cast", "amountCents": 10.5, "description": "x", "incurredOn": "2027-02-30"}
    error(client.post(expenses, json=bad, headers=company.headers), 422, "VALIDATION_ERROR")

    expected = {
        "budgetCents": 1_500_000_00,
        "plannedCents": 650_000_33,
        "spentCents": 150_100_22,
        "varianceCents": 650_000_33 - 150_100_22,
        "byCategory": [
            {
                "category": "cast",
                "plannedCents": 400_000_33,
                "spentCents": 150_000_22,
                "varianceCents": 250_000_11,
            },
            {
                "category": "crew",
                "plannedCents": 250_000_00,
                "spentCents": 99_99,
                "varianceCents": 249_900_01,
            },
            {"category": "marketing", "plannedCents": 0, "spentCents": 1, "varianceCents": -1},
        ],
        "byMonth": [
            {"month": "2027-03", "spentCents": 120_000_17},
            {"month": "2027-04", "spentCents": 30_100_04},
            {"month": "2027-05", "spentCents": 1},
        ],
    }
    for who in (company, creator):
        assert ok(client.get(f"/api/analytics/budget/{project['id']}", headers=who.headers)) == expected
    assert ok(client.get(project_path(project["id"]), headers=creator.headers))["spentCents"] == 150_100_22

    # Lists with filters, for both parties.
    listed = ok(client.get("/api/production/projects", params={"status": "active"}, headers=company.headers))
    assert [p["id"] for p in listed] == [project["id"]]
    assert (
        ok(client.get("/api/production/projects", params={"stage": "delivery"}, headers=company.headers))
        == []
    )
    assert [p["id"] for p in ok(client.get("/api/production/projects", headers=creator.headers))] == [
        project["id"]
    ]
    error(
        client.get("/api/production/projects", params={"stage": "nope"}, headers=company.headers),
        400,
        "BAD_REQUEST",
    )

    # Pause keeps inProduction; completing ends it and frees the company to propose again.
    ok(client.put(project_path(project["id"]), json={"status": "paused"}, headers=company.headers))
    assert ok(client.get(f"/api/pitches/{pitch['id']}"))["inProduction"] is True
    done = ok(client.put(project_path(project["id"]), json={"status": "completed"}, headers=company.headers))
    assert done["status"] == "completed"
    assert ok(client.get(f"/api/pitches/{pitch['id']}"))["inProduction"] is False
    history = ok(client.get(project_path(project["id"], "/history"), headers=creator.headers))
    assert [h["changes"].get("status", {}).get("to") for h in history][:2] == ["completed", "paused"]
    assert len(history) == 5  # proposed, accepted, stage, paused, completed
    ok(propose(runtime, company, pitch["id"]), 201)


def test_roles_investor_403_and_another_company_404_on_every_route(runtime: Any, cast: dict[str, Account]):
    client, creator, company = runtime.client, cast["creator"], cast["company"]
    pitch = published_pitch(runtime, creator, requiresNDA=False)
    project = ok(propose(runtime, company, pitch["id"]), 201)
    other_creator = register(runtime, "creator")
    line = {"category": "cast", "plannedCents": 1}
    expense = {"category": "cast", "amountCents": 1, "description": "x", "incurredOn": "2027-01-01"}
    routes = [
        ("GET", project_path(project["id"]), None),
        ("GET", project_path(project["id"], "/history"), None),
        ("PUT", project_path(project["id"]), {"title": "Mine now"}),
        ("POST", project_path(project["id"], "/budget-lines"), line),
        ("POST", project_path(project["id"], "/expenses"), expense),
        ("GET", f"/api/analytics/budget/{project['id']}", None),
    ]
    for method, path, body in routes:
        answer = client.request(method, path, json=body, headers=cast["investor"].headers)
        error(answer, 403, "FORBIDDEN")
        error(client.request(method, path, json=body, headers=cast["rival"].headers), 404, "NOT_FOUND")
    for action in ("accept", "decline"):
        path = project_path(project["id"], f"/{action}")
        error(client.post(path, headers=cast["investor"].headers), 403, "FORBIDDEN")
        error(client.post(path, headers=other_creator.headers), 404, "NOT_FOUND")
    for who in ("investor", "creator"):
        error(propose(runtime, cast[who], pitch["id"]), 403, "FORBIDDEN")
    error(client.get("/api/production/projects", headers=cast["investor"].headers), 403, "FORBIDDEN")
    assert ok(client.get("/api/production/projects", headers=cast["rival"].headers)) == []
    assert ok(client.get("/api/production/projects", headers=other_creator.headers)) == []
    # The project is untouched by all of it.
    assert ok(client.get(project_path(project["id"]), headers=creator.headers)) == project
    # A draft pitch is not proposable (404), nor an unknown one.
    draft = ok(client.post("/api/pitches", json={**_draft()}, headers=creator.headers), 201)
    error(propose(runtime, company, draft["id"]), 404, "NOT_FOUND")
    error(propose(runtime, company, "nope"), 404, "NOT_FOUND")


def _draft() -> dict[str, Any]:
    return {"title": "Draft", "logline": "Not yet.", "genre": "drama", "format": "feature"}


def test_two_concurrent_proposals_by_one_company_make_exactly_one_project(
    runtime: Any, cast: dict[str, Account]
):
    creator, company = cast["creator"], cast["company"]
    pitch = published_pitch(runtime, creator, requiresNDA=False)
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: propose(runtime, company, pitch["id"]), range(6)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * 5, [a.text for a in answers]
    assert all(a.json()["error"]["code"] == "PROJECT_EXISTS" for a in answers if a.status_code == 409)
    mine = ok(runtime.client.get("/api/production/projects", headers=company.headers))
    assert len([p for p in mine if p["pitchId"] == pitch["id"]]) == 1


def test_racing_accept_and_decline_apply_once(runtime: Any, cast: dict[str, Account]):
    creator, company = cast["creator"], cast["company"]
    pitch = published_pitch(runtime, creator, requiresNDA=False)
    project = ok(propose(runtime, company, pitch["id"]), 201)
    actions = ["accept", "decline"] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(
                lambda a: runtime.client.post(project_path(project["id"], f"/{a}"), headers=creator.headers),
                actions,
            )
        )
    assert sorted(a.status_code for a in answers) == [200] + [409] * 5
    final = ok(runtime.client.get(project_path(project["id"]), headers=creator.headers))
    winner = next(a.json()["data"] for a in answers if a.status_code == 200)
    assert final["status"] == winner["status"]
    assert ok(runtime.client.get(f"/api/pitches/{pitch['id']}"))["inProduction"] is (
        final["status"] == "active"
    )
    history = ok(runtime.client.get(project_path(project["id"], "/history"), headers=creator.headers))
    assert len(history) == 2


def test_following_feed_shows_a_followed_creators_publish_and_project_stages(
    runtime: Any, cast: dict[str, Account]
):
    client, company = runtime.client, cast["rival"]
    creator = register(runtime, "creator", "Feed", "Maker")
    follow = {"targetType": "user", "targetId": creator.id}
    assert client.post("/api/follows", json=follow, headers=company.headers).status_code == 201
    error(client.get("/api/production/following", headers=cast["investor"].headers), 403, "FORBIDDEN")

    pitch = published_pitch(runtime, creator, requiresNDA=False)
    feed = ok(client.get("/api/production/following", headers=company.headers))
    assert [(f["type"], f["pitchId"], f["actorId"]) for f in feed] == [
        ("pitch_published", pitch["id"], creator.id)
    ]
    assert pitch["title"] in feed[0]["summary"] and feed[0]["at"].endswith("Z")

    ok(client.put(f"/api/pitches/{pitch['id']}", json={"logline": "Sharper."}, headers=creator.headers))
    # Another company's project on the followed creator's pitch moves stage: the follower sees it.
    other = cast["company"]
    project = ok(propose(runtime, other, pitch["id"]), 201)
    ok(client.post(project_path(project["id"], "/accept"), headers=creator.headers))
    ok(client.put(project_path(project["id"]), json={"stage": "delivery"}, headers=other.headers))
    feed = ok(client.get("/api/production/following", headers=company.headers))
    assert [f["type"] for f in feed] == ["project_stage", "pitch_updated", "pitch_published"]
    assert feed[0]["actorId"] == other.id and "delivery" in feed[0]["summary"]
    first = client.get("/api/production/following", params={"limit": 1}, headers=company.headers).json()
    assert len(first["data"]) == 1 and first["metadata"]["nextCursor"]
    # Someone who follows nobody has an empty feed.
    assert ok(client.get("/api/production/following", headers=other.headers)) == []


def test_production_analytics_counts_the_companys_own_data(runtime: Any, cast: dict[str, Account]):
    client = runtime.client
    creator = register(runtime, "creator")
    company = register(runtime, "production", company="Numbers Inc")
    assert client.post(
        "/api/follows", json={"targetType": "user", "targetId": creator.id}, headers=company.headers
    )
    signed_pitch = published_pitch(runtime, creator)
    signed_nda(runtime, creator, company, signed_pitch["id"])
    ok(nda_request(runtime, company, published_pitch(runtime, creator)["id"]), 201)  # stays pending
    project = ok(propose(runtime, company, signed_pitch["id"]), 201)
    ok(client.post(project_path(project["id"], "/accept"), headers=creator.headers))
    ok(client.put(project_path(project["id"]), json={"stage": "production"}, headers=company.headers))
    line = {"category": "crew", "plannedCents": 12_345_67}
    ok(client.post(project_path(project["id"], "/budget-lines"), json=line, headers=company.headers), 201)
    expense = {"category": "crew", "amountCents": 2_000_01, "description": "Grip", "incurredOn": "2027-06-01"}
    ok(client.post(project_path(project["id"], "/expenses"), json=expense, headers=company.headers), 201)
    declined = ok(propose(runtime, company, published_pitch(runtime, creator, requiresNDA=False)["id"]), 201)
    ok(client.post(project_path(declined["id"], "/decline"), headers=creator.headers))

    data = ok(client.get("/api/analytics/production", headers=company.headers))
    assert data["ndas"] == {"requested": 2, "signed": 1, "pending": 1}
    assert data["projects"]["byStatus"] == {
        "proposed": 0, "declined": 1, "active": 1, "paused": 0, "completed": 0, "cancelled": 0,
    }  # fmt: skip
    assert data["projects"]["byStage"]["production"] == 1 and data["projects"]["byStage"]["development"] == 1
    assert data["budget"] == {"plannedCents": 12_345_67, "spentCents": 2_000_01}
    # Three publishes by the followed creator, and the stage move on the followed creator's pitch is the
    # company's own (an actor never gets its own event).
    assert data["followedActivity7d"] == 3
    for who in ("investor", "creator"):
        error(client.get("/api/analytics/production", headers=cast[who].headers), 403, "FORBIDDEN")


def test_investments_overview_and_funding_milestones_reach_the_company(
    runtime: Any, cast: dict[str, Account]
):
    from tests.integration.test_investments_flow import GOAL, invest, investable_pitch, move

    client, investor = runtime.client, cast["investor"]
    creator = register(runtime, "creator", "Fund", "Raiser")
    company = register(runtime, "production", company="Backers Ltd")
    follow = {"targetType": "user", "targetId": creator.id}
    assert client.post("/api/follows", json=follow, headers=company.headers).status_code == 201
    pitch = investable_pitch(runtime, creator)
    project = ok(propose(runtime, company, pitch["id"], budgetCents=1_000_00), 201)
    overview_path = "/api/production/investments/overview"
    assert ok(client.get(overview_path, headers=company.headers))["projects"] == 0  # proposed only
    ok(client.post(project_path(project["id"], "/accept"), headers=creator.headers))

    investment = ok(invest(runtime, investor, pitch["id"], GOAL // 2), 201)["investment"]
    row = {"projectId": project["id"], "pitchId": pitch["id"], "goalCents": GOAL}
    assert ok(client.get(overview_path, headers=company.headers)) == {
        "projects": 1,
        "totalRaisedCents": 0,
        "totalPledgedCents": GOAL // 2,
        "byProject": [{**row, "raisedCents": 0, "pledgedCents": GOAL // 2}],
    }
    for to in ("due_diligence", "negotiation", "committed"):
        ok(move(runtime, creator, investment["id"], to))
    assert ok(client.get(overview_path, headers=company.headers)) == {
        "projects": 1,
        "totalRaisedCents": GOAL // 2,
        "totalPledgedCents": 0,
        "byProject": [{**row, "raisedCents": GOAL // 2, "pledgedCents": 0}],
    }

    def milestones() -> list[dict[str, Any]]:
        feed = ok(client.get("/api/production/following", headers=company.headers))
        return [item for item in feed if item["type"] == "funding_milestone"]

    [milestone] = wait_for(milestones, timeout=5)  # API.md: listed within 5 s of happening
    assert milestone["pitchId"] == pitch["id"] and milestone["actorId"] == creator.id
    assert "50%" in milestone["summary"] and pitch["title"] in milestone["summary"]
    for who in (investor, creator):
        error(client.get(overview_path, headers=who.headers), 403, "FORBIDDEN")
