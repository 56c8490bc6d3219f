"""The NDA transition table against API.md's NDA rules, written out here independently of the table."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pitchey.core.workflow import SYSTEM
from pitchey.ndas.lifecycle import CREATOR, REQUESTER, TRANSITIONS
from pitchey.ndas.models import OPEN_STATUSES, STATUSES

ACTORS = (CREATOR, REQUESTER, SYSTEM, "stranger")
EVENTS = ("approve", "reject", "sign", "revoke", "expire", "request")


def api_md(status: str, actor: str, event: str) -> str | None:
    """API.md, "## NDAs": approve/reject — pitch owner, pending only; sign — requester, approved only;
    revoke — pitch owner, signed; pending requests not decided within the TTL and approved ones not signed
    within the signature TTL become expired; #21: a signed NDA whose access period (accessDays) is over
    becomes expired. Nothing else moves an NDA."""
    if actor == CREATOR and status == "pending" and event in ("approve", "reject"):
        return {"approve": "approved", "reject": "rejected"}[event]
    if actor == REQUESTER and status == "approved" and event == "sign":
        return "signed"
    if actor == CREATOR and status == "signed" and event == "revoke":
        return "revoked"
    if actor == SYSTEM and status in ("pending", "approved") and event == "expire":
        return "expired"
    if actor == SYSTEM and status == "signed" and event == "expire":  # #21: the access period ended
        return "expired"
    return None


@given(st.sampled_from(STATUSES), st.sampled_from(ACTORS), st.sampled_from(EVENTS))
def test_every_move_is_the_one_api_md_allows(status, actor, event):
    assert TRANSITIONS.target(status, actor, event) == api_md(status, actor, event)


@given(st.lists(st.tuples(st.sampled_from(ACTORS), st.sampled_from(EVENTS)), max_size=10))
def test_any_history_keeps_the_open_nda_rule(history):
    """A request starts pending; whatever happens next, the NDA holds the one-open-NDA claim (API.md's
    409 NDA_EXISTS: pending/approved/signed) exactly while it is not in a terminal state."""
    status = TRANSITIONS.initial
    assert status == "pending"
    for actor, event in history:
        status = TRANSITIONS.target(status, actor, event) or status
        assert status in STATUSES
        assert (status in OPEN_STATUSES) == (not TRANSITIONS.is_terminal(status))


def test_the_table_covers_exactly_api_md_statuses_and_parties():
    assert TRANSITIONS.states == set(STATUSES)
    assert TRANSITIONS.actors("approve") == TRANSITIONS.actors("reject") == {CREATOR}
    assert TRANSITIONS.actors("sign") == {REQUESTER} and TRANSITIONS.actors("expire") == {SYSTEM}
