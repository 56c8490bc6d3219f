"""Investment stages that time out, with InvestmentStageTtlSeconds shortened through parameter overrides:
the state machine's TimeoutSecondsPath fires, the investment becomes `expired` (counted nowhere), both
parties are notified and the investor may invest again. Committed investments never expire."""

from __future__ import annotations

import time

import pytest

from tests.integration.accounts import register
from tests.integration.test_investments_flow import (
    QUARTER,
    execution,
    invest,
    investable_pitch,
    move,
    notified,
)
from tests.integration.test_ndas_flow import error, ok, wait_for

pytestmark = pytest.mark.integration

STAGE_TTL = 4
RUNTIME_OVERRIDES = {"InvestmentStageTtlSeconds": str(STAGE_TTL)}


@pytest.fixture(scope="module")
def people(runtime):
    return {
        "creator": register(runtime, "creator", "Ada", "Creator", "Tidewater Films"),
        "investor": register(runtime, "investor", "Ben", "Investor"),
    }


def pitch_money(runtime, who, pitch_id):
    pitch = ok(runtime.client.get(f"/api/pitches/{pitch_id}", headers=who.headers))
    return pitch["fundingRaisedCents"]


def investment(runtime, who, investment_id):
    return ok(runtime.client.get(f"/api/investments/{investment_id}", headers=who.headers))


@pytest.mark.parametrize("stage", ["pending", "due_diligence", "negotiation"])
def test_a_stage_without_action_expires(runtime, people, stage):
    creator, investor = people["creator"], people["investor"]
    pitch = investable_pitch(runtime, creator)
    created = ok(invest(runtime, investor, pitch["id"], QUARTER), 201)["investment"]
    for to in {
        "pending": [],
        "due_diligence": ["due_diligence"],
        "negotiation": ["due_diligence", "negotiation"],
    }[stage]:
        ok(move(runtime, creator, created["id"], to))
    expired = wait_for(
        lambda: (i := investment(runtime, investor, created["id"]))["status"] == "expired" and i,
        STAGE_TTL * 10,
    )
    assert [e["status"] for e in expired["timeline"]][-2:] == [stage, "expired"]
    assert expired["timeline"][-1]["byUserId"] == "system"
    wait_for(lambda: execution(runtime, created["id"])["status"] == "SUCCEEDED")
    assert notified(runtime, creator, "investment_update", created["id"], "expired")
    assert notified(runtime, investor, "investment_update", created["id"], "expired")
    portfolio = ok(runtime.client.get("/api/investments/portfolio", headers=investor.headers))
    assert portfolio["byStatus"]["expired"]["count"] >= 1
    listed = ok(runtime.client.get(f"/api/pitches/{pitch['id']}/investments", headers=creator.headers))
    assert [i["status"] for i in listed] == ["expired"]
    error(move(runtime, creator, created["id"], "due_diligence"), 409, "INVALID_TRANSITION")
    # Counted nowhere, and the investor may offer again.
    again = ok(invest(runtime, investor, pitch["id"], QUARTER), 201)
    assert again["fundingProgress"]["pledgedCents"] == QUARTER


def test_each_stage_gets_a_fresh_timeout_and_committed_never_expires(runtime, people):
    creator, investor = people["creator"], people["investor"]
    pitch = investable_pitch(runtime, creator)
    created = ok(invest(runtime, investor, pitch["id"], QUARTER), 201)["investment"]
    for to in ("due_diligence", "negotiation", "committed"):
        time.sleep(STAGE_TTL * 0.6)  # within each stage's own timeout, beyond the first stage's
        ok(move(runtime, creator, created["id"], to))
    time.sleep(STAGE_TTL * 2)
    assert investment(runtime, investor, created["id"])["status"] == "committed"
    assert execution(runtime, created["id"])["status"] == "RUNNING"
    assert pitch_money(runtime, creator, pitch["id"]) == QUARTER
