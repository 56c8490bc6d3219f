"""DynamoDB round trips per request, counted in-process (tests/roundtrips.py) on warm handlers.

Budgets (issue #22): a single-item read makes at most 2 round trips, a list endpoint at most 3, and no
request path of any HTTP handler of the template Scans. Each read endpoint is called with real data (a
published pitch, a follow) so its full path runs; `python -m tests.unit.test_round_trips`
prints the table kept in docs/performance.md."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from local.template import load_template, resources_of_type
from tests.events import call, http_event, load_handler
from tests.roundtrips import dynamodb_calls
from tests.unit.accounts import Actor, make_user
from tests.unit.pitches_support import hit, published_pitch

SINGLE_ITEM_BUDGET = 2
LIST_BUDGET = 3
# Every request with a caller also makes two of its own, before the handler's work: the session is read
# (a revoked session must stop at once, so it is not cached across requests) and the per-user rate-limit
# counter is incremented (one atomic ADD). The budgets above are for the endpoint's work on top of them.
AUTH_ROUND_TRIPS = 2
# Public reads measured for a signed-in caller too: their path does more (the NDA check of protected fields).
SIGNED_IN = {"/api/pitches/{id}"}
# Over budget, with their count pinned so that any further round trip fails (docs/performance.md says why).
# Empty since the signed-in pitch read fetches the caller's NDA grant beside the pitch (one BatchGetItem).
KNOWN_OVER: dict[str, int] = {}


def http_routes() -> list[tuple[str, str, str, str]]:
    """(function, functions/ path of its handler, method, route path) for every HttpApi event."""
    routes = []
    for name, resource in resources_of_type(load_template(), "AWS::Serverless::Function").items():
        props = resource["Properties"]
        module = (
            props["CodeUri"].removeprefix("functions/").rstrip("/") + "/" + props["Handler"].split(".")[0]
        )
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                ep = event["Properties"]
                routes.append((name, module, ep.get("Method", "ANY").upper(), ep.get("Path", "/{proxy+}")))
    return routes


# Read endpoints and how many items they answer with: "item" (≤ 2 round trips) or "list" (≤ 3).
READS: dict[str, str] = {
    "/api/health": "item",
    "/api/auth/me": "item",
    "/api/auth/sessions": "list",
    "/api/users/{id}": "item",
    "/api/pitches/{id}": "item",
    "/api/pitches/{id}/history": "list",
    "/api/pitches/my": "list",
    "/api/pitches/browse": "list",
    "/api/pitches/public": "list",
    "/api/pitches/trending": "list",
    "/api/pitches/following": "list",
    "/api/follows/following": "list",
    "/api/follows/followers": "list",
    "/api/notifications": "list",
    "/api/notifications/unread-count": "item",
    "/api/notifications/preferences": "item",
    "/api/ndas/incoming-requests": "list",
    "/api/ndas/outgoing-requests": "list",
    "/api/ndas/incoming-signed": "list",
    "/api/ndas/can-request/{pitchId}": "item",
    "/api/messages/conversations": "list",
    "/api/users/me/blocks": "list",
    "/api/investments/portfolio": "list",
    "/api/investments/history": "list",
    "/api/pitches/{id}/investments": "list",
    "/api/payments/plans": "list",
    "/api/payments/credits/balance": "item",
    "/api/payments/credits/ledger": "list",
    "/api/payments/history": "list",
    "/api/payments/subscription-status": "item",
    "/api/production/projects": "list",
    "/api/production/following": "list",
}


class World:
    """A creator with a published pitch, an investor who follows the creator
    (NDA lists are read empty: an NDA request needs the state machine)."""

    def __init__(self) -> None:
        self.creator = make_user("creator")
        self.investor = make_user("investor")
        self.production = make_user("production")
        self.pitch = published_pitch(self.creator, requiresNDA=True)
        follow = {"targetType": "user", "targetId": self.creator.id}
        assert hit("follows/follow", "POST", "/api/follows", self.investor, body=follow).status == 201

    def params(self, path: str) -> dict[str, str]:
        values = {"id": self.pitch["id"], "pitchId": self.pitch["id"], "mediaId": "m-none"}
        if path.startswith("/api/users/{id}"):
            values["id"] = self.creator.id
        return {key: values.get(key, "none") for key in re.findall(r"{(\w+)\+?}", path)}

    def actors(self) -> list[Actor]:
        return [self.investor, self.creator, self.production]


_handlers: dict[str, Any] = {}


def request(module: str, method: str, path: str, world: World, actor: Actor | None) -> tuple[int, list[str]]:
    if module not in _handlers:
        _handlers[module] = load_handler(module)
    params = world.params(path)
    concrete = path
    for key, value in params.items():
        concrete = re.sub(r"{" + key + r"\+?}", value, concrete)
    event = http_event(
        "GET" if method == "ANY" else method,
        concrete,
        token=actor.token if actor else None,
        path_params=params or None,
        route_key=f"{method} {path}",
        body={} if method in ("POST", "PUT", "PATCH") else None,
    )
    with dynamodb_calls() as calls:
        answer = call(_handlers[module], event)
    return answer.status, calls


def measure(
    world: World, module: str, method: str, path: str, actors: list[Actor | None] | None = None
) -> tuple[Actor | None, int, list[str]]:
    """Anonymous first (public routes are measured as a visitor), else the first user the route answers 200
    (role and ownership decide); the handler is warmed once, then measured, so first-use costs of a
    container are not counted per request."""
    for actor in actors or [None, *world.actors()]:
        request(module, method, path, world, actor)
        status, calls = request(module, method, path, world, actor)
        if status == 200:
            break
    return actor, status, calls


@pytest.fixture
def world(aws) -> World:
    return World()


def read_routes() -> list[tuple[str, str, str, str]]:
    return [route for route in http_routes() if route[2] == "GET" and route[3] in READS]


def test_every_listed_read_is_a_route_of_the_template():
    assert {route[3] for route in read_routes()} == set(READS)


def test_reads_stay_within_their_round_trip_budget(world):
    """Writes the table of docs/performance.md to $ROUND_TRIPS_TABLE when set."""
    rows = [
        "| endpoint | kind | round trips | of which the caller check | operations |",
        "|---|---|---|---|---|",
    ]
    over = []
    measured = [(path, route, None) for route in read_routes() for path in [route[3]]]
    measured += [
        (f"{route[3]} (signed in)", route, [world.investor])
        for route in read_routes()
        if route[3] in SIGNED_IN
    ]
    for label, (_, module, method, path), actors in measured:
        actor, status, calls = measure(world, module, method, path, actors)
        assert status == 200, (label, status)
        auth = AUTH_ROUND_TRIPS if actor is not None else 0
        budget = (SINGLE_ITEM_BUDGET if READS[path] == "item" else LIST_BUDGET) + auth
        budget = KNOWN_OVER.get(label, budget)
        if len(calls) > budget:
            over.append(f"{label}: {len(calls)} round trips {calls}, budget {budget}")
        ops = ", ".join(
            f"{op} x{calls.count(op)}" if calls.count(op) > 1 else op for op in dict.fromkeys(calls)
        )
        rows.append(f"| `GET {label}` | {READS[path]} | {len(calls)} | {auth} | {ops} |")
    if os.environ.get("ROUND_TRIPS_TABLE"):
        Path(os.environ["ROUND_TRIPS_TABLE"]).write_text("\n".join(rows) + "\n")
    assert not over, "\n".join(over)


def test_no_http_handler_scans(world):
    """Every HTTP handler of the template, called by each kind of user: whatever path it takes with this
    data (often a validation or not-found answer for writes), it never Scans (tests.events.call asserts
    it) and never answers 500 (but the Stripe webhook, which answers 5xx WEBHOOK_MISCONFIGURED without its
    signing secret, unset here, so that Stripe retries)."""
    for _, module, method, path in http_routes():
        for actor in [None, *world.actors()]:
            status, calls = request(module, method, path, world, actor)
            assert "Scan" not in calls
            assert status < 500 or path == "/api/webhooks/stripe", (method, path, status)


def test_the_following_feed_costs_the_same_whatever_the_number_of_follows(world):
    """Fanned out on write (pitchey.pitches.feed): a page is one Query and one BatchGetItem (+ one NDA Query
    for protected fields), not one Query per followed creator."""
    _, module, method, path = next(r for r in read_routes() if r[3] == "/api/pitches/following")
    _, status, one_follow = measure(world, module, method, path, [world.investor])
    assert status == 200
    for _ in range(4):
        creator = make_user("creator")
        published_pitch(creator, requiresNDA=True)
        body = {"targetType": "user", "targetId": creator.id}
        assert hit("follows/follow", "POST", "/api/follows", world.investor, body=body).status == 201
    pitch = published_pitch(make_user("creator"))
    body = {"targetType": "pitch", "targetId": pitch["id"]}
    assert hit("follows/follow", "POST", "/api/follows", world.investor, body=body).status == 201
    _, status, six_follows = measure(world, module, method, path, [world.investor])
    assert status == 200
    assert six_follows == one_follow
    assert len(six_follows) <= LIST_BUDGET + AUTH_ROUND_TRIPS
