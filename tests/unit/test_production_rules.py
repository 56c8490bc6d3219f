"""The project's status and stage rules against API.md's "Production", written out independently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from local.template import load_template
from pitchey.core.workflow import InvalidTransition
from pitchey.production.lifecycle import (
    COMPANY,
    CREATOR,
    IN_PRODUCTION,
    LIVE,
    TRANSITIONS,
    production_delta,
    stage_after,
    status_after,
)
from pitchey.production.models import STAGES, STATUSES
from tests.unit.iam_support import managed_policies

ROOT = Path(__file__).resolve().parents[2]
ACTORS = (CREATOR, COMPANY, "stranger")
EVENTS = ("accept", "decline", "pause", "resume", "complete", "cancel", "propose")


def api_md(status: str, actor: str, event: str) -> str | None:
    """accept/decline — the creator, proposed only; status active ↔ paused, → completed | cancelled — the
    company; the company may also withdraw (cancel) its proposal. Nothing else moves a project."""
    if actor == CREATOR and status == "proposed" and event in ("accept", "decline"):
        return {"accept": "active", "decline": "declined"}[event]
    if actor != COMPANY:
        return None
    if (status, event) == ("active", "pause"):
        return "paused"
    if (status, event) == ("paused", "resume"):
        return "active"
    if status in ("active", "paused") and event == "complete":
        return "completed"
    if status in ("proposed", "active", "paused") and event == "cancel":
        return "cancelled"
    return None


@given(st.sampled_from(STATUSES), st.sampled_from(ACTORS), st.sampled_from(EVENTS))
def test_every_move_is_the_one_api_md_allows(status, actor, event):
    assert TRANSITIONS.target(status, actor, event) == api_md(status, actor, event)


@given(st.lists(st.tuples(st.sampled_from(ACTORS), st.sampled_from(EVENTS)), max_size=12))
def test_the_in_production_counter_follows_the_status_through_any_history(history):
    """Summing the deltas of every move taken gives 1 exactly while the project is active or paused, and
    the live claim is held exactly while it is not terminal."""
    status, counter = TRANSITIONS.initial, 0
    for actor, event in history:
        target = TRANSITIONS.target(status, actor, event)
        if target is None:
            continue
        counter += production_delta(status, target)
        status = target
        assert counter == (1 if status in IN_PRODUCTION else 0)
        assert (status in LIVE) == (not TRANSITIONS.is_terminal(status))


def test_put_status_names_the_target():
    assert status_after("active", COMPANY, "paused") == "paused"
    assert status_after("paused", COMPANY, "active") == "active"
    assert status_after("paused", COMPANY, "completed") == "completed"
    for status, target in [("proposed", "active"), ("declined", "active"), ("completed", "cancelled")]:
        with pytest.raises(InvalidTransition):
            status_after(status, COMPANY, target)
    with pytest.raises(InvalidTransition):
        status_after("active", CREATOR, "paused")


@given(st.sampled_from(STAGES), st.sampled_from(STAGES))
def test_stages_move_forward_only_with_skipping_while_active(stage, target):
    if STAGES.index(target) >= STAGES.index(stage):
        assert stage_after("active", stage, target) == target
    else:
        with pytest.raises(InvalidTransition):
            stage_after("active", stage, target)


@given(st.sampled_from([s for s in STATUSES if s != "active"]), st.sampled_from(STAGES))
def test_the_stage_of_a_project_that_is_not_active_cannot_change(status, stage):
    later = [s for s in STAGES if STAGES.index(s) > STAGES.index(stage)]
    for target in later:
        with pytest.raises(InvalidTransition):
            stage_after(status, stage, target)
    assert stage_after(status, stage, stage) == stage  # no change is not a move


def test_every_production_function_has_code_a_sample_event_and_the_pipeline_policy():
    resources = load_template()["Resources"]
    functions = {
        name: res["Properties"]
        for name, res in resources.items()
        if res["Type"] == "AWS::Serverless::Function"
        and res["Properties"]["CodeUri"].startswith("functions/production")
    }
    assert len(functions) == 13
    for name, props in functions.items():
        module = props["Handler"].split(".")[0]
        assert (ROOT / props["CodeUri"] / f"{module}.py").is_file(), name
        assert {"Ref": "RequestPipelinePolicy"} in managed_policies(name), name
        route = props["Events"]["Api"]["Properties"]
        event = json.loads((ROOT / "events" / "production" / f"{module}.json").read_text())
        assert event["version"] == "2.0", name
        assert event["routeKey"] == f"{route['Method']} {route['Path']}", name
