"""The pitch status lifecycle, as a pure rule and through the service (property-based)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pitchey.core.errors import Conflict, ValidationFailed
from pitchey.pitches import rules, service
from pitchey.pitches.schemas import CreatePitch

statuses = st.sampled_from(rules.STATUSES)
ALLOWED = {
    ("draft", "published"),
    ("published", "hidden"),
    ("hidden", "published"),
    ("draft", "archived"),
    ("published", "archived"),
    ("hidden", "archived"),
}


@given(statuses, statuses)
def test_can_transition_is_exactly_the_documented_moves(current, target):
    assert rules.can_transition(current, target) == ((current, target) in ALLOWED)


@given(st.text(), st.text())
def test_unknown_statuses_never_transition(current, target):
    if current not in rules.STATUSES or target not in rules.STATUSES:
        assert not rules.can_transition(current, target)


def test_publish_problems_name_every_missing_field():
    assert {p["field"] for p in rules.publish_problems({})} == {
        "title",
        "logline",
        "genre",
        "format",
        "shortSynopsis",
    }
    complete = {"title": "t", "logline": "l", "genre": "drama", "format": "tv", "shortSynopsis": "s"}
    assert rules.publish_problems(complete) == []
    assert [p["field"] for p in rules.publish_problems({**complete, "seekingInvestment": True})] == [
        "fundingGoalCents"
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(statuses, min_size=1, max_size=6), st.booleans())
def test_any_sequence_of_requests_follows_the_lifecycle(aws, requests, complete):
    """Whatever statuses are asked for, in any order, the stored status only ever takes allowed moves,
    refused moves change nothing, archived is final, and publishing needs the required fields."""
    body = CreatePitch.model_validate(  # by the wire names: bodies are populated by alias only
        {
            "title": "t",
            "logline": "l",
            "genre": "drama",
            "format": "tv",
            "shortSynopsis": "s" if complete else None,
        }
    )
    pitch_id = service.create_pitch("creator-1", body)["id"]
    current = "draft"
    for target in requests:
        try:
            result = service._apply("creator-1", pitch_id, {"status": target})
        except Conflict as refused:
            assert refused.code == "INVALID_TRANSITION"
            assert target != current and (current, target) not in ALLOWED
        except ValidationFailed:
            assert target == "published" and not complete
        else:
            assert target == current or (current, target) in ALLOWED
            assert result.status == target
            assert (result.pub_key is not None) == (target == "published")
            current = target
        assert service.find(pitch_id).status == current
