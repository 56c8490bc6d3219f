"""BOLA matrix, generated from template.yaml: every HttpApi route with a path parameter is called by a
second user of every role (creator, investor, production) on a resource that belongs to someone else.
The answer must be 404 ("not yours to see") or 403 (role refused first, or an admin route), never data,
and the owner's view of the resource must be the same before and after.

A route with a path parameter that has no entry in CASES or EXEMPT fails `test_every_route_is_mapped`:
nobody adds such a route without a BOLA case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from local.template import load_template
from local.testing import RuntimeProcess
from tests.integration.accounts import Account, register

ATTACKER_ROLES = ("creator", "investor", "production")
REFUSED = {403, 404}


def template_routes() -> set[str]:
    routes = set()
    for resource in load_template()["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            props = event.get("Properties") or {}
            if event.get("Type") == "HttpApi" and "{" in str(props.get("Path", "")):
                routes.add(f"{props['Method'].upper()} {props['Path']}")
    return routes


# Routes whose path parameter does not name something a caller could own: each says why.
EXEMPT = {
    "POST /api/auth/{portal}/register": "{portal} is a portal name, not a resource",
    "POST /api/auth/{portal}/login": "{portal} is a portal name, not a resource",
    "GET /api/users/{id}": "public profile of anyone (API.md), no email",
    "POST /api/users/{id}/block": "changes the caller's own block list; {id} is whom they block",
    "DELETE /api/users/{id}/block": "changes the caller's own block list; {id} is whom they unblock",
    "GET /api/docs/{asset}": "a static file of the public API explorer, the same for everyone",
    "GET /api/ndas/{id}/verify": "public by design (#21): only genuine/version for a document digest, the "
    "same for an unknown id as for a wrong digest (tests/integration/test_ndas_access.py)",
}


@dataclass(frozen=True)
class Case:
    path: str  # with {fixture} names filled from the World
    view: str  # which owner view must not change (World.views)
    body: dict[str, Any] | None = None
    refused: frozenset[int] = frozenset(REFUSED)


CASES: dict[str, Case] = {
    # pitches: the owner's draft (invisible to everyone else)
    "GET /api/pitches/{id}": Case("/api/pitches/{draft}", "draft"),
    "PUT /api/pitches/{id}": Case("/api/pitches/{draft}", "draft", {"title": "pwned"}),
    "PUT /api/pitches/{id}/update": Case("/api/pitches/{draft}/update", "draft", {"title": "pwned"}),
    "DELETE /api/pitches/{id}": Case("/api/pitches/{draft}", "draft"),
    "GET /api/pitches/{id}/history": Case("/api/pitches/{draft}/history", "draft"),
    "POST /api/pitches/{id}/like": Case("/api/pitches/{draft}/like", "draft", {}),
    "DELETE /api/pitches/{id}/like": Case("/api/pitches/{draft}/like", "draft"),
    "POST /api/pitches/{id}/media": Case(
        "/api/pitches/{draft}/media",
        "draft",
        {
            "fileName": "a.png",
            "contentType": "image/png",
            "sizeBytes": 100,
            "kind": "image",
            "protected": False,
        },
    ),
    "GET /api/pitches/{id}/media/{mediaId}": Case("/api/pitches/{draft}/media/{media}", "draft"),
    "GET /api/pitches/{id}/investments": Case("/api/pitches/{pitch}/investments", "investment"),
    "GET /api/ndas/can-request/{pitchId}": Case("/api/ndas/can-request/{draft}", "draft"),
    "GET /api/analytics/pitch/{id}": Case("/api/analytics/pitch/{pitch}", "pitch"),
    # NDAs: the investor's signed NDA on the creator's pitch
    "GET /api/ndas/{id}": Case("/api/ndas/{nda}", "nda"),
    # privacy: the creator's data export (its own status changes as it is built, so the view is the profile)
    "GET /api/users/me/export/{exportId}": Case("/api/users/me/export/{export}", "me"),
    "GET /api/ndas/{id}/document": Case("/api/ndas/{nda}/document", "nda"),
    "POST /api/ndas/{id}/approve": Case("/api/ndas/{pending_nda}/approve", "pending_nda", {}),
    "POST /api/ndas/{id}/reject": Case("/api/ndas/{pending_nda}/reject", "pending_nda", {"reason": "x"}),
    "POST /api/ndas/{id}/remind": Case("/api/ndas/{pending_nda}/remind", "pending_nda", {}),
    "POST /api/ndas/{id}/revoke": Case("/api/ndas/{nda}/revoke", "nda", {}),
    "POST /api/ndas/{id}/sign": Case(
        "/api/ndas/{approved_nda}/sign", "approved_nda", {"signerName": "X", "accept": True}
    ),
    # NDA templates (#21): the creator's own template (other creators 404, other roles 403)
    "GET /api/ndas/templates/{id}": Case("/api/ndas/templates/{template}", "template"),
    "PUT /api/ndas/templates/{id}": Case("/api/ndas/templates/{template}", "template", {"name": "pwned"}),
    "DELETE /api/ndas/templates/{id}": Case("/api/ndas/templates/{template}", "template"),
    "GET /api/ndas/templates/{id}/preview": Case("/api/ndas/templates/{template}/preview", "template"),
    # investments
    "GET /api/investments/{id}": Case("/api/investments/{investment}", "investment"),
    "GET /api/investments/{id}/agreement": Case("/api/investments/{investment}/agreement", "investment"),
    "GET /api/investments/{id}/timeline": Case("/api/investments/{investment}/timeline", "investment"),
    "POST /api/investments/{id}/transition": Case(
        "/api/investments/{investment}/transition", "investment", {"to": "withdrawn"}
    ),
    # messages
    "GET /api/messages/conversations/{id}": Case(
        "/api/messages/conversations/{conversation}", "conversation"
    ),
    "GET /api/messages/conversations/{id}/messages": Case(
        "/api/messages/conversations/{conversation}/messages", "conversation"
    ),
    "POST /api/messages/conversations/{id}/read": Case(
        "/api/messages/conversations/{conversation}/read", "conversation", {}
    ),
    "PUT /api/messages/{id}": Case("/api/messages/{message}", "conversation", {"body": "pwned"}),
    "DELETE /api/messages/{id}": Case("/api/messages/{message}", "conversation"),
    "GET /api/messages/{id}/attachments/{attachmentId}": Case(
        "/api/messages/{message}/attachments/{attachment}", "conversation"
    ),
    # notifications, sessions, follows
    "POST /api/notifications/{id}/read": Case("/api/notifications/{notification}/read", "notifications", {}),
    "DELETE /api/auth/sessions/{id}": Case("/api/auth/sessions/{session}", "sessions"),
    # caller-scoped: removes the caller's own follow (none), never the owner's
    "DELETE /api/follows/{targetType}/{targetId}": Case(
        "/api/follows/pitch/{pitch}", "follows", refused=frozenset({200, 404})
    ),
    # production: a company's proposal on the creator's pitch
    "GET /api/production/projects/{id}": Case("/api/production/projects/{project}", "project"),
    "PUT /api/production/projects/{id}": Case(
        "/api/production/projects/{project}", "project", {"title": "pwned"}
    ),
    "POST /api/production/projects/{id}/accept": Case(
        "/api/production/projects/{project}/accept", "project", {}
    ),
    "POST /api/production/projects/{id}/decline": Case(
        "/api/production/projects/{project}/decline", "project", {}
    ),
    "POST /api/production/projects/{id}/budget-lines": Case(
        "/api/production/projects/{project}/budget-lines", "budget", {"category": "cast", "plannedCents": 100}
    ),
    "POST /api/production/projects/{id}/expenses": Case(
        "/api/production/projects/{project}/expenses",
        "budget",
        {"category": "cast", "amountCents": 100, "description": "x", "incurredOn": "2026-01-01"},
    ),
    "GET /api/production/projects/{id}/history": Case(
        "/api/production/projects/{project}/history", "project"
    ),
    "GET /api/analytics/budget/{id}": Case("/api/analytics/budget/{project}", "budget"),
    # admin routes: 403 to everyone who is not an admin (API.md)
    "POST /api/admin/pitches/{id}/feature": Case(
        "/api/admin/pitches/{pitch}/feature", "pitch", {}, frozenset({403})
    ),
    "DELETE /api/admin/pitches/{id}/feature": Case(
        "/api/admin/pitches/{pitch}/feature", "pitch", None, frozenset({403})
    ),
    "POST /api/admin/reports/{id}/resolve": Case(
        "/api/admin/reports/{report}/resolve", "pitch", {"action": "hide", "note": "x"}, frozenset({403})
    ),
    "POST /api/admin/users/{id}/{action}": Case(
        "/api/admin/users/{creator}/suspend", "me", {"reason": "x"}, frozenset({403})
    ),
}


def test_every_route_is_mapped() -> None:
    routes = template_routes()
    assert sorted(routes - set(CASES) - set(EXEMPT)) == [], "template routes with a path id but no BOLA case"
    assert sorted((set(CASES) | set(EXEMPT)) - routes) == [], "BOLA cases for routes the template lacks"


# --- the world: resources owned by A-side users, created through the API ---------------------------------
def data(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()["data"]


@dataclass
class World:
    ids: dict[str, str]
    views: dict[str, Callable[[], Any]]
    attackers: dict[str, Account]


@pytest.fixture(scope="module")
def world(runtime: RuntimeProcess) -> World:
    c = runtime.client
    creator, investor, company, investor2 = (
        register(runtime, p) for p in ("creator", "investor", "production", "investor")
    )
    attackers = {role: register(runtime, role) for role in ATTACKER_ROLES}

    def pitch(**fields: Any) -> dict[str, Any]:
        body = {
            "title": "T",
            "logline": "L",
            "genre": "drama",
            "format": "feature",
            "shortSynopsis": "S",
            **fields,
        }
        return data(c.post("/api/pitches", json=body, headers=creator.headers), 201)

    def publish(p: dict[str, Any]) -> None:
        data(c.put(f"/api/pitches/{p['id']}", json={"status": "published"}, headers=creator.headers))

    draft = pitch()
    media = data(
        c.post(
            f"/api/pitches/{draft['id']}/media",
            json=CASES["POST /api/pitches/{id}/media"].body,
            headers=creator.headers,
        ),
        201,
    )
    nda_pitch = pitch(
        requiresNDA=True,
        ndaType="basic",
        longSynopsis="secret",
        seekingInvestment=True,
        fundingGoalCents=10**8,
    )
    publish(nda_pitch)
    open_pitch = pitch()
    publish(open_pitch)

    def nda_request(who: Account) -> dict[str, Any]:
        return data(c.post("/api/ndas/request", json={"pitchId": nda_pitch["id"]}, headers=who.headers), 201)

    nda = nda_request(investor)
    data(c.post(f"/api/ndas/{nda['id']}/approve", json={}, headers=creator.headers))
    data(
        c.post(
            f"/api/ndas/{nda['id']}/sign",
            json={"signerName": "Ivy", "accept": True},
            headers=investor.headers,
        )
    )
    approved = nda_request(investor2)
    data(c.post(f"/api/ndas/{approved['id']}/approve", json={}, headers=creator.headers))
    pending = nda_request(company)
    investment = data(
        c.post(
            "/api/investments",
            json={"pitchId": nda_pitch["id"], "amountCents": 200_000},
            headers=investor.headers,
        ),
        201,
    )["investment"]
    data(
        c.post(
            "/api/follows",
            json={"targetType": "pitch", "targetId": nda_pitch["id"]},
            headers=investor.headers,
        ),
        201,
    )

    grant = data(
        c.post(
            "/api/messages/attachments",
            json={"fileName": "a.pdf", "contentType": "application/pdf", "sizeBytes": 4},
            headers=investor.headers,
        ),
        201,
    )
    upload = httpx.post(
        grant["uploadUrl"], data=grant["uploadFields"], files={"file": ("a.pdf", b"%PDF", "application/pdf")}
    )
    assert upload.status_code in (200, 201, 204), upload.text
    message = data(
        c.post(
            "/api/messages/send",
            json={"recipientId": creator.id, "body": "hello", "attachmentIds": [grant["attachmentId"]]},
            headers=investor.headers,
        ),
        201,
    )
    project = data(
        c.post(
            "/api/production/projects",
            json={"pitchId": open_pitch["id"], "budgetCents": 10**6},
            headers=company.headers,
        ),
        201,
    )
    notification = data(c.get("/api/notifications", headers=creator.headers))[0]
    report = data(
        c.post(
            "/api/reports",
            json={"targetType": "pitch", "targetId": nda_pitch["id"], "reason": "x"},
            headers=investor.headers,
        ),
        201,
    )

    export = data(c.post("/api/users/me/export", json={}, headers=creator.headers), 202)
    template = data(
        c.post(
            "/api/ndas/templates", json={"name": "Mine", "body": "# Terms\nKeep it."}, headers=creator.headers
        ),
        201,
    )

    def view(who: Account, *paths: str) -> Callable[[], Any]:
        return lambda: [data(c.get(path, headers=who.headers)) for path in paths]

    ids = {
        "draft": draft["id"],
        "media": media["mediaId"],
        "pitch": nda_pitch["id"],
        "nda": nda["id"],
        "approved_nda": approved["id"],
        "pending_nda": pending["id"],
        "investment": investment["id"],
        "conversation": message["conversationId"],
        "message": message["id"],
        "attachment": grant["attachmentId"],
        "notification": notification["id"],
        "session": creator.session_id,
        "project": project["id"],
        "report": report["id"],
        "creator": creator.id,
        "export": export["exportId"],
        "template": template["id"],
    }
    views = {
        "draft": view(creator, f"/api/pitches/{draft['id']}", f"/api/pitches/{draft['id']}/history"),
        "pitch": view(creator, f"/api/pitches/{nda_pitch['id']}/investments"),
        "nda": view(investor, f"/api/ndas/{nda['id']}"),
        "approved_nda": view(investor2, f"/api/ndas/{approved['id']}"),
        "pending_nda": view(company, f"/api/ndas/{pending['id']}"),
        "investment": view(investor, f"/api/investments/{investment['id']}"),
        "conversation": view(
            creator,
            f"/api/messages/conversations/{message['conversationId']}",
            f"/api/messages/conversations/{message['conversationId']}/messages",
        ),
        "notifications": view(creator, "/api/notifications"),
        "sessions": view(creator, "/api/auth/sessions"),
        "follows": view(investor, "/api/follows/following"),
        "project": view(company, f"/api/production/projects/{project['id']}"),
        "budget": view(company, f"/api/analytics/budget/{project['id']}"),
        "me": view(creator, "/api/auth/me"),
        "template": view(creator, f"/api/ndas/templates/{template['id']}"),
    }
    return World(ids, views, attackers)


def strip_volatile(value: Any) -> Any:
    """Views compared before/after: drop what changes by itself (counts of views, `lastUsedAt`)."""
    if isinstance(value, dict):
        return {k: strip_volatile(v) for k, v in value.items() if k not in ("viewCount", "lastUsedAt")}
    if isinstance(value, list):
        return [strip_volatile(v) for v in value]
    return value


@pytest.mark.parametrize("route", sorted(CASES))
def test_a_second_user_of_every_role_gets_nothing_and_changes_nothing(
    runtime: RuntimeProcess, world: World, route: str
) -> None:
    case = CASES[route]
    method = route.split(" ", 1)[0]
    path = case.path.format(**world.ids)
    before = strip_volatile(world.views[case.view]())
    for role, attacker in world.attackers.items():
        kwargs: dict[str, Any] = {"headers": attacker.headers}
        if case.body is not None:
            kwargs["json"] = case.body
        answer = runtime.client.request(method, path, **kwargs)
        assert answer.status_code in case.refused, f"{role}: {answer.status_code} {answer.text}"
        if answer.status_code >= 400:
            assert answer.json()["success"] is False and "data" not in answer.json()
    assert strip_volatile(world.views[case.view]()) == before, f"{route} changed the owner's resource"
