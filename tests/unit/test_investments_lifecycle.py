"""The investment transition table (pure data) against API.md's "who may do what", and the funding deltas
against the definition of raised and pledged, by property tests."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pitchey.core.workflow import SYSTEM, InvalidTransition
from pitchey.investments.lifecycle import (
    PLEDGED,
    RAISED,
    STATUSES,
    TABLE,
    TERMINAL,
    funding_delta,
)

# Transcribed from API.md ("Investments"): creator: pending→due_diligence|rejected,
# due_diligence→negotiation|rejected, negotiation→committed, committed→defaulted, active→completed|defaulted;
# investor: pending|due_diligence|negotiation→withdrawn, committed→active; stages pending/due_diligence/
# negotiation without action → expired.
API_EDGES = {
    ("creator", "pending", "due_diligence"),
    ("creator", "pending", "rejected"),
    ("creator", "due_diligence", "negotiation"),
    ("creator", "due_diligence", "rejected"),
    ("creator", "negotiation", "committed"),
    ("creator", "committed", "defaulted"),
    ("creator", "active", "completed"),
    ("creator", "active", "defaulted"),
    ("investor", "pending", "withdrawn"),
    ("investor", "due_diligence", "withdrawn"),
    ("investor", "negotiation", "withdrawn"),
    ("investor", "committed", "active"),
}
ACTORS = ("creator", "investor", "production", SYSTEM, "admin")


@given(st.sampled_from(ACTORS), st.sampled_from(STATUSES), st.sampled_from(STATUSES))
def test_a_party_may_take_exactly_the_edges_api_md_gives_it(actor, source, target):
    allowed = (actor, source, target) in API_EDGES
    assert (TABLE.target(source, actor, target) == target) is allowed
    if not allowed:
        try:
            TABLE.next(source, actor, target)
        except InvalidTransition as refused:
            assert refused.status == 409 and refused.code == "INVALID_TRANSITION"
        else:
            raise AssertionError(f"{actor} moved {source} → {target}")


def test_every_edge_of_the_table_is_in_api_md_and_only_the_system_expires():
    user_edges = {(e.actor, e.source, e.target) for e in TABLE.edges if e.actor != SYSTEM}
    assert user_edges == API_EDGES
    expiries = {(e.source, e.event, e.target) for e in TABLE.edges if e.actor == SYSTEM}
    assert expiries == {(stage, "expire", "expired") for stage in ("pending", "due_diligence", "negotiation")}


def test_terminal_states_have_no_way_out():
    assert {"completed", "rejected", "withdrawn", "defaulted", "expired"} == TERMINAL
    for state in TERMINAL:
        for actor in ACTORS:
            assert TABLE.events(state, actor) == frozenset()


@settings(max_examples=300)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.sampled_from(ACTORS), st.sampled_from(STATUSES)), max_size=60)
)
def test_funding_deltas_keep_raised_and_pledged_equal_to_their_definition(moves):
    """Random walks of six investments through the table: the running totals built from funding_delta
    always equal raised = Σ committed|active|completed and pledged = Σ pending…negotiation."""
    amounts = [100_000 * (n + 1) for n in range(6)]
    states = ["pending"] * 6
    raised, pledged = 0, sum(amounts)
    for index, actor, target in moves:
        if TABLE.target(states[index], actor, target) is None:
            continue
        d_raised, d_pledged = funding_delta(states[index], target, amounts[index])
        raised, pledged = raised + d_raised, pledged + d_pledged
        states[index] = target
        assert raised == sum(a for a, s in zip(amounts, states, strict=True) if s in RAISED)
        assert pledged == sum(a for a, s in zip(amounts, states, strict=True) if s in PLEDGED)
        assert raised >= 0 and pledged >= 0
