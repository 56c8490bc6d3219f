"""NDA HTTP rules through the handlers: request, decisions, signature, revocation, reads and lists."""

from __future__ import annotations

import threading
from datetime import timedelta

import boto3
import pytest

from pitchey.core import clock
from pitchey.core.audit import AuditEntry
from pitchey.ndas import service
from pitchey.ndas.access import has_signed_nda
from pitchey.ndas.models import Nda, OpenNdaClaim, open_claim_key
from pitchey.notifications.models import Notification
from tests.unit.accounts import make_user
from tests.unit.test_ndas_support import api, body_of

pytest_plugins = ("tests.unit.test_ndas_support",)  # fixtures: cast, make_pitch, state_machine, sent

NDA_FIELDS = {
    "id",
    "pitchId",
    "pitchTitle",
    "requesterId",
    "requesterType",
    "creatorId",
    "status",
    "ndaType",
    "message",
    "requestedAt",
    "expiresAt",
    "decidedAt",
    "rejectionReason",
    "signedAt",
    "signerName",
    "documentAvailable",
    "accessDays",  # #21
    "accessExpiresAt",  # #21
}


@pytest.fixture
def world(cast, make_pitch, state_machine, sent):
    pitch_id = make_pitch(cast.creator)
    return cast, pitch_id


def request(actor, pitch_id, message=None):
    body = {"pitchId": pitch_id}
    if message is not None:
        body["message"] = message
    return api("request", actor, body=body)


def pending(world, actor=None):
    cast, pitch_id = world
    return body_of(request(actor or cast.investor, pitch_id, "Keen to read the script"))


def approved(world):
    cast, _ = world
    nda = pending(world)
    body_of(api("approve", cast.creator, id=nda["id"]))
    return nda


def signed(world):
    cast, _ = world
    nda = approved(world)
    body_of(api("sign", cast.investor, id=nda["id"], body={"signerName": "Marcus Whitfield", "accept": True}))
    return nda


def near(iso_text: str, seconds_from_now: int) -> bool:
    """Set `seconds_from_now` from the moment of a request that just ended: never later than that (the
    timestamp is whole seconds), and earlier by at most what a slow, loaded machine takes for one request."""
    delta = clock.from_iso(iso_text) - (clock.now() + timedelta(seconds=seconds_from_now))
    return -30 <= delta.total_seconds() <= 1


def store_token(nda_id: str, attribute, token: str) -> None:
    """What the workflow's wait step does: put its task token on the record."""
    Nda(nda_id).update(actions=[attribute.set(token)])


# --- request -------------------------------------------------------------------------------------------
def test_request_creates_pending_nda_claims_it_and_starts_the_workflow(world, state_machine):
    cast, pitch_id = world
    answer = request(cast.investor, pitch_id, "Keen to read the script")
    assert answer.status == 201
    nda = answer.data
    assert set(nda) == NDA_FIELDS
    assert nda["status"] == "pending" and nda["pitchId"] == pitch_id
    assert nda["requesterId"] == cast.investor.id and nda["requesterType"] == "investor"
    assert nda["creatorId"] == cast.creator.id and nda["pitchTitle"] == "The Last Lighthouse Keeper"
    assert nda["ndaType"] == "basic" and nda["message"] == "Keen to read the script"
    assert nda["documentAvailable"] is False and nda["decidedAt"] is None
    assert near(nda["expiresAt"], 2592000)
    # One execution, named after the NDA.
    execution = boto3.client("stepfunctions").describe_execution(
        executionArn=state_machine.replace(":stateMachine:", ":execution:") + f":{nda['id']}"
    )
    assert execution["name"] == nda["id"]
    assert OpenNdaClaim.get(open_claim_key(pitch_id, cast.investor.id)).nda_id == nda["id"]
    actions = [e.action for e in AuditEntry.query(cast.investor.id)]
    assert [a for a in actions if not a.startswith("credits.")] == ["nda.request"]
    assert "credits.nda_request" in actions  # the request's price, audited with the request


def test_request_ttl_comes_from_the_environment(world, setenv):
    setenv("NDA_REQUEST_TTL_SECONDS", "60")
    assert near(pending(world)["expiresAt"], 60)


def test_production_companies_may_request(world):
    cast, _ = world
    assert pending(world, cast.production)["requesterType"] == "production"


def test_unverified_requesters_get_403_until_they_verify(world):
    from pitchey.users.models import User

    _, pitch_id = world
    newcomer = make_user("investor", verified=False)
    answer = request(newcomer, pitch_id)
    assert answer.status == 403 and answer.code == "EMAIL_NOT_VERIFIED"
    assert not list(Nda.scan())
    User(newcomer.id).update(actions=[User.email_verified_at.set(clock.iso())])
    assert request(newcomer, pitch_id).status == 201  # the same access token, at once


def test_creators_cannot_request(world):
    cast, pitch_id = world
    answer = request(cast.creator, pitch_id)
    assert answer.status == 403 and answer.code == "FORBIDDEN"


@pytest.mark.parametrize("status", ["draft", "hidden", "archived"])
def test_unpublished_pitch_is_404(cast, make_pitch, state_machine, status):
    pitch_id = make_pitch(cast.creator, status=status)
    assert request(cast.investor, pitch_id).status == 404


def test_unknown_pitch_is_404(world):
    cast, _ = world
    assert request(cast.investor, "nope").status == 404


def test_pitch_without_nda_is_409(cast, make_pitch, state_machine):
    pitch_id = make_pitch(cast.creator, requires_nda=False)
    answer = request(cast.investor, pitch_id)
    assert answer.status == 409 and answer.code == "NDA_NOT_REQUIRED"


def test_duplicate_request_is_409_and_nothing_is_written(world):
    cast, pitch_id = world
    first = pending(world)
    answer = request(cast.investor, pitch_id)
    assert answer.status == 409 and answer.code == "NDA_EXISTS"
    assert [n.id for n in Nda.by_requester.query(cast.investor.id)] == [first["id"]]


def test_another_requester_is_independent(world):
    cast, _ = world
    pending(world)
    assert pending(world, cast.production)["status"] == "pending"


@pytest.mark.parametrize(
    "body", [{}, {"pitchId": ""}, {"pitchId": "x", "status": "signed"}, {"pitchId": "x", "requesterId": "me"}]
)
def test_request_body_is_validated(world, body):
    cast, _ = world
    answer = api("request", cast.investor, body=body)
    assert answer.status == 422 and answer.code == "VALIDATION_ERROR"


def test_request_is_undone_when_the_workflow_cannot_start(world, monkeypatch, setenv):
    cast, pitch_id = world
    setenv("NDA_STATE_MACHINE_ARN", "arn:aws:states:us-east-1:123456789012:stateMachine:missing")
    answer = request(cast.investor, pitch_id)
    assert answer.status == 503
    assert list(Nda.by_requester.query(cast.investor.id)) == []
    monkeypatch.undo()


# --- approve / reject -------------------------------------------------------------------------------------
def test_owner_approves_and_the_workflow_wait_is_resumed(world, sent):
    cast, _ = world
    nda = pending(world)
    store_token(nda["id"], Nda.decision_task_token, "decision-token")
    answer = api("approve", cast.creator, id=nda["id"], body={})
    assert answer.status == 200
    data = answer.data
    assert set(data) == NDA_FIELDS
    assert data["status"] == "approved" and data["decidedAt"] is not None
    assert near(data["expiresAt"], 1209600)
    assert sent == [("decision-token", "approved")]
    assert "decision-token" not in str(answer.body)
    assert "nda.approve" in [e.action for e in AuditEntry.query(cast.creator.id)]


def test_approve_before_the_token_is_stored_sends_nothing(world, sent):
    cast, _ = world
    nda = pending(world)
    assert api("approve", cast.creator, id=nda["id"]).status == 200
    assert sent == []  # the workflow's await_decision step will see the claim and resume itself


@pytest.mark.parametrize("who", ["investor", "stranger", "production"])
def test_only_the_owner_may_decide(world, who):
    cast, _ = world
    nda = pending(world)
    for action in ("approve", "reject"):
        answer = api(action, getattr(cast, who), id=nda["id"])
        assert answer.status == 404 and answer.code == "NOT_FOUND"
    assert Nda.get(nda["id"]).status == "pending"


def test_unknown_nda_is_404(world):
    cast, _ = world
    assert api("approve", cast.creator, id="missing").status == 404


def test_approve_twice_is_409(world):
    cast, _ = world
    nda = approved(world)
    answer = api("approve", cast.creator, id=nda["id"])
    assert answer.status == 409 and answer.code == "INVALID_TRANSITION"
    answer = api("reject", cast.creator, id=nda["id"])
    assert answer.status == 409 and answer.code == "INVALID_TRANSITION"


def test_approve_takes_no_parameters(world):
    cast, _ = world
    nda = pending(world)
    assert api("approve", cast.creator, id=nda["id"], body={"status": "signed"}).status == 422


def test_a_request_past_its_deadline_cannot_be_decided(world):
    cast, _ = world
    nda = pending(world)
    Nda(nda["id"]).update(actions=[Nda.expires_at.set(clock.iso(clock.now() - timedelta(seconds=1)))])
    answer = api("approve", cast.creator, id=nda["id"])
    assert answer.status == 409 and answer.code == "INVALID_TRANSITION"


def test_reject_with_reason_releases_the_claim(world, sent):
    cast, pitch_id = world
    nda = pending(world)
    store_token(nda["id"], Nda.decision_task_token, "decision-token")
    answer = api("reject", cast.creator, id=nda["id"], body={"reason": "Not a fit for this project"})
    assert answer.status == 200
    assert answer.data["status"] == "rejected"
    assert answer.data["rejectionReason"] == "Not a fit for this project"
    assert answer.data["expiresAt"] is None
    assert sent == [("decision-token", "rejected")]
    # A new request is allowed once the old one is closed.
    assert request(cast.investor, pitch_id).status == 201


def test_reject_without_reason(world):
    cast, _ = world
    nda = pending(world)
    data = body_of(api("reject", cast.creator, id=nda["id"]))
    assert data["status"] == "rejected" and data["rejectionReason"] is None


def test_approve_and_reject_racing_have_one_winner(world):
    cast, _ = world
    nda = pending(world)
    barrier = threading.Barrier(2)
    answers = {}

    def run(action):
        barrier.wait()
        answers[action] = api(action, cast.creator, id=nda["id"])

    threads = [threading.Thread(target=run, args=(action,)) for action in ("approve", "reject")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status for answer in answers.values())
    assert statuses == [200, 409]
    winner = next(action for action, answer in answers.items() if answer.status == 200)
    assert Nda.get(nda["id"]).status == {"approve": "approved", "reject": "rejected"}[winner]


def test_a_stale_read_cannot_decide_twice(world, monkeypatch):
    """Both calls read `pending`; the conditional claim lets only the first write through."""
    cast, _ = world
    nda = pending(world)
    stale = Nda.get(nda["id"])
    monkeypatch.setattr(service, "_for_event", lambda nda_id, caller, event: (stale, "creator"))
    assert api("approve", cast.creator, id=nda["id"]).status == 200
    answer = api("reject", cast.creator, id=nda["id"])
    assert answer.status == 409 and answer.code == "INVALID_TRANSITION"
    assert Nda.get(nda["id"]).status == "approved"


# --- sign -------------------------------------------------------------------------------------------------
def test_requester_signs_an_approved_nda(world, sent):
    cast, pitch_id = world
    nda = approved(world)
    store_token(nda["id"], Nda.signature_task_token, "signature-token")
    assert has_signed_nda(cast.investor.id, pitch_id) is False
    answer = api(
        "sign",
        cast.investor,
        id=nda["id"],
        body={"signerName": "Marcus Whitfield", "accept": True},
        headers={"user-agent": "Mozilla/5.0 (X11; Linux)"},
        source_ip="203.0.113.9",
    )
    assert answer.status == 200
    assert answer.data["status"] == "signed" and answer.data["signerName"] == "Marcus Whitfield"
    assert answer.data["signedAt"] is not None and answer.data["expiresAt"] is None
    stored = Nda.get(nda["id"])
    assert stored.signer_ip == "203.0.113.9" and stored.signer_user_agent == "Mozilla/5.0 (X11; Linux)"
    assert ("signature-token", "signed") in sent
    assert has_signed_nda(cast.investor.id, pitch_id) is True
    assert has_signed_nda(cast.production.id, pitch_id) is False
    assert "nda.sign" in [e.action for e in AuditEntry.query(cast.investor.id)]


@pytest.mark.parametrize(
    "body",
    [
        {"signerName": "Marcus", "accept": False},
        {"signerName": "Marcus", "accept": "yes"},
        {"signerName": "Marcus", "accept": 1},
        {"signerName": "Marcus"},
        {"accept": True},
        {"signerName": "", "accept": True},
        {"signerName": "Marcus", "accept": True, "signedAt": "2020-01-01T00:00:00Z"},
    ],
)
def test_sign_requires_a_name_and_explicit_acceptance(world, body):
    cast, _ = world
    nda = approved(world)
    answer = api("sign", cast.investor, id=nda["id"], body=body)
    assert answer.status == 422 and answer.code == "VALIDATION_ERROR"
    assert Nda.get(nda["id"]).status == "approved"


def test_accept_false_names_the_field(world):
    cast, _ = world
    nda = approved(world)
    answer = api("sign", cast.investor, id=nda["id"], body={"signerName": "M", "accept": False})
    assert answer.body["error"]["details"][0]["field"] == "accept"


def test_signing_a_pending_nda_is_409(world):
    cast, _ = world
    nda = pending(world)
    answer = api("sign", cast.investor, id=nda["id"], body={"signerName": "M", "accept": True})
    assert answer.status == 409 and answer.code == "INVALID_TRANSITION"


def test_signing_twice_is_409(world):
    cast, _ = world
    nda = signed(world)
    answer = api("sign", cast.investor, id=nda["id"], body={"signerName": "M", "accept": True})
    assert answer.status == 409 and answer.code == "INVALID_TRANSITION"


@pytest.mark.parametrize("who", ["creator", "stranger", "production"])
def test_only_the_requester_may_sign(world, who):
    cast, _ = world
    nda = approved(world)
    answer = api("sign", getattr(cast, who), id=nda["id"], body={"signerName": "M", "accept": True})
    assert answer.status == 404


# --- revoke -----------------------------------------------------------------------------------------------
def test_owner_revokes_a_signed_nda_and_access_closes(world):
    cast, pitch_id = world
    nda = signed(world)
    assert has_signed_nda(cast.investor.id, pitch_id) is True
    answer = api("revoke", cast.creator, id=nda["id"])
    assert answer.status == 200 and answer.data["status"] == "revoked"
    assert answer.data["documentAvailable"] is False
    assert has_signed_nda(cast.investor.id, pitch_id) is False
    notes = [n for n in Notification.query(cast.investor.id) if n.data.get("status") == "revoked"]
    assert notes and notes[0].type == "nda_rejected"
    assert "nda.revoke" in [e.action for e in AuditEntry.query(cast.creator.id)]
    # The claim is released: the investor may ask again.
    assert request(cast.investor, pitch_id).status == 201


def test_revoking_anything_but_a_signed_nda_is_409(world):
    cast, _ = world
    nda = approved(world)
    answer = api("revoke", cast.creator, id=nda["id"])
    assert answer.status == 409 and answer.code == "INVALID_TRANSITION"


def test_only_the_owner_may_revoke(world):
    cast, pitch_id = world
    nda = signed(world)
    assert api("revoke", cast.investor, id=nda["id"]).status == 404
    assert has_signed_nda(cast.investor.id, pitch_id) is True


# --- reads ------------------------------------------------------------------------------------------------
def test_either_party_reads_an_nda_others_get_404(world):
    cast, _ = world
    nda = pending(world)
    for actor in (cast.creator, cast.investor):
        answer = api("get", actor, id=nda["id"])
        assert answer.status == 200 and answer.data == nda
    assert api("get", cast.stranger, id=nda["id"]).status == 404
    assert api("get", cast.production, id=nda["id"]).status == 404


def test_no_token_is_ever_returned(world):
    cast, _ = world
    nda = pending(world)
    store_token(nda["id"], Nda.decision_task_token, "very-secret-token")
    for actor in (cast.creator, cast.investor):
        answer = api("get", actor, id=nda["id"])
        assert "very-secret-token" not in str(answer.body)
        assert set(answer.data) == NDA_FIELDS


def test_document_rules(world, monkeypatch):
    cast, _ = world
    monkeypatch.setattr(service, "DOCUMENT_WAIT_SECONDS", 0.3)
    nda = pending(world)
    answer = api("document", cast.investor, id=nda["id"])
    assert answer.status == 409 and answer.code == "DOCUMENT_NOT_AVAILABLE"
    assert api("document", cast.stranger, id=nda["id"]).status == 404
    body_of(api("approve", cast.creator, id=nda["id"]))
    answer = api("document", cast.investor, id=nda["id"])  # the workflow has not rendered it yet
    assert answer.status == 409 and answer.code == "DOCUMENT_NOT_READY"
    Nda(nda["id"]).update(actions=[Nda.document_key.set("nda/random/approved.pdf")])
    assert body_of(api("get", cast.investor, id=nda["id"]))["documentAvailable"] is True
    for actor in (cast.creator, cast.investor):
        data = body_of(api("document", actor, id=nda["id"]))
        assert set(data) == {"downloadUrl", "expiresAt"}
        assert "X-Amz-Expires=900" in data["downloadUrl"] and "nda/random/approved.pdf" in data["downloadUrl"]
        assert near(data["expiresAt"], 900)
    assert api("document", cast.stranger, id=nda["id"]).status == 404
    assert "nda.document_download" in [e.action for e in AuditEntry.query(cast.creator.id)]


def test_signed_nda_serves_the_signed_copy_only(world, monkeypatch):
    cast, _ = world
    monkeypatch.setattr(service, "DOCUMENT_WAIT_SECONDS", 0.3)
    nda = approved(world)
    Nda(nda["id"]).update(actions=[Nda.document_key.set("nda/k/approved.pdf")])
    body_of(api("sign", cast.investor, id=nda["id"], body={"signerName": "M", "accept": True}))
    assert body_of(api("get", cast.investor, id=nda["id"]))["documentAvailable"] is False
    assert api("document", cast.investor, id=nda["id"]).code == "DOCUMENT_NOT_READY"
    Nda(nda["id"]).update(actions=[Nda.signed_document_key.set("nda/k/signed.pdf")])
    assert "nda/k/signed.pdf" in body_of(api("document", cast.creator, id=nda["id"]))["downloadUrl"]


# --- lists ------------------------------------------------------------------------------------------------
def test_incoming_and_outgoing_lists_newest_first_with_status_filter(cast, make_pitch, state_machine):
    first_pitch = make_pitch(cast.creator, title="First")
    second_pitch = make_pitch(cast.creator, title="Second")
    older = body_of(request(cast.investor, first_pitch))
    newer = body_of(request(cast.production, second_pitch))
    mine = body_of(request(cast.investor, second_pitch))
    body_of(api("approve", cast.creator, id=mine["id"]))

    incoming = body_of(api("incoming_requests", cast.creator))
    assert [n["id"] for n in incoming] == [mine["id"], newer["id"], older["id"]]
    pending_only = body_of(api("incoming_requests", cast.creator, query={"status": "pending"}))
    assert [n["id"] for n in pending_only] == [newer["id"], older["id"]]

    outgoing = body_of(api("outgoing_requests", cast.investor))
    assert [n["id"] for n in outgoing] == [mine["id"], older["id"]]
    approved_only = body_of(api("outgoing_requests", cast.investor, query={"status": "approved"}))
    assert [n["status"] for n in approved_only] == ["approved"]
    assert body_of(api("outgoing_requests", cast.stranger)) == []


def test_lists_paginate_with_a_signed_cursor(cast, make_pitch, state_machine):
    ids = [body_of(request(cast.investor, make_pitch(cast.creator)))["id"] for _ in range(3)]
    seen = []
    cursor = None
    for _ in range(4):
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        answer = api("incoming_requests", cast.creator, query=query)
        assert answer.status == 200 and answer.body["metadata"]["limit"] == 2
        seen += [n["id"] for n in answer.data]
        cursor = answer.body["metadata"]["nextCursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    # A cursor is bound to the list and the user that got it.
    first = api("incoming_requests", cast.creator, query={"limit": "1"})
    cursor = first.body["metadata"]["nextCursor"]
    assert api("incoming_requests", cast.creator, query={"cursor": cursor, "status": "pending"}).status == 400
    other_creator = make_user("creator", first="Olive", last="Other")
    assert api("incoming_requests", other_creator, query={"cursor": cursor}).status == 400


@pytest.mark.parametrize(
    "query", [{"status": "bogus"}, {"limit": "0"}, {"limit": "101"}, {"cursor": "forged"}]
)
def test_bad_list_parameters_are_400(world, query):
    cast, _ = world
    answer = api("incoming_requests", cast.creator, query=query)
    assert answer.status == 400 and answer.code == "BAD_REQUEST"


def test_lists_are_role_bound(world):
    cast, _ = world
    assert api("incoming_requests", cast.investor).status == 403
    assert api("incoming_signed", cast.investor).status == 403
    assert api("outgoing_requests", cast.creator).status == 403


def test_incoming_signed_lists_only_signed(world):
    cast, _ = world
    nda = signed(world)
    pending(world, cast.production)
    assert [n["id"] for n in body_of(api("incoming_signed", cast.creator))] == [nda["id"]]


# --- can-request ------------------------------------------------------------------------------------------
def test_can_request(cast, make_pitch, state_machine):
    nda_pitch = make_pitch(cast.creator)
    open_pitch = make_pitch(cast.creator, requires_nda=False)
    draft = make_pitch(cast.creator, status="draft")

    def ask(actor, pitch_id):
        return api("can_request", actor, pitchId=pitch_id)

    assert body_of(ask(cast.investor, nda_pitch)) == {"canRequest": True, "reason": None}
    assert body_of(ask(cast.creator, nda_pitch)) == {"canRequest": False, "reason": "ROLE_NOT_ALLOWED"}
    assert body_of(ask(cast.investor, open_pitch)) == {"canRequest": False, "reason": "NDA_NOT_REQUIRED"}
    assert ask(cast.investor, draft).status == 404
    assert ask(cast.investor, "missing").status == 404
    nda = body_of(request(cast.investor, nda_pitch))
    assert body_of(ask(cast.investor, nda_pitch)) == {"canRequest": False, "reason": "NDA_EXISTS"}
    body_of(api("reject", cast.creator, id=nda["id"]))
    assert body_of(ask(cast.investor, nda_pitch)) == {"canRequest": True, "reason": None}


def test_unauthenticated_calls_are_401(world):
    _, pitch_id = world
    assert request(None, pitch_id).status == 401


# --- what the NDA opens -----------------------------------------------------------------------------------
def test_signing_opens_the_pitch_and_revoking_closes_it(world):
    from tests.events import call, http_event, load_handler

    cast, pitch_id = world
    get_pitch = load_handler("pitches/get")

    def view(actor):
        event = http_event(
            "GET",
            f"/api/pitches/{pitch_id}",
            path_params={"id": pitch_id},
            token=actor.token,
            route_key="GET /api/pitches/{id}",
        )
        return body_of(call(get_pitch, event))

    assert view(cast.investor)["canViewProtected"] is False and "longSynopsis" not in view(cast.investor)
    nda = signed(world)
    opened = view(cast.investor)
    assert opened["canViewProtected"] is True and opened["longSynopsis"] == "The protected long synopsis."
    assert "longSynopsis" not in view(cast.production)
    body_of(api("revoke", cast.creator, id=nda["id"]))
    assert "longSynopsis" not in view(cast.investor)


def test_pitch_loader_defaults_the_nda_type(cast, make_pitch):
    from pitchey.ndas.sources import load_pitch_for_nda
    from pitchey.pitches.models import Pitch

    pitch_id = make_pitch(cast.creator)
    Pitch(pitch_id).update(actions=[Pitch.nda_type.remove()])
    loaded = load_pitch_for_nda(pitch_id)
    assert loaded.nda_type == "basic" and loaded.creator_id == cast.creator.id and loaded.requires_nda
    assert load_pitch_for_nda("missing") is None
