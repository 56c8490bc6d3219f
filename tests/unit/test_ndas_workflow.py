"""The state machine's steps, called with the payloads nda.asl.json gives them."""

from __future__ import annotations

import io

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from pynamodb.exceptions import UpdateError
from pypdf import PdfReader

from pitchey.core.workflow import StateConflict, TransientError, is_transient
from pitchey.ndas import documents
from pitchey.ndas.access import has_signed_nda
from pitchey.ndas.models import Nda, OpenNdaClaim, open_claim_key
from pitchey.notifications.models import Notification
from tests.events import load_handler
from tests.unit.test_ndas_support import api, body_of

pytest_plugins = ("tests.unit.test_ndas_support",)  # fixtures: cast, make_pitch, state_machine, sent

WORKFLOW = load_handler("ndas/workflow")
GENERATE = load_handler("ndas/documents/generate")


def step(name: str, nda_id: str, **extra):
    return WORKFLOW({"step": name, "ndaId": nda_id, **extra}, None)


def generate(nda_id: str, version: str):
    return GENERATE({"step": "generate_document", "ndaId": nda_id, "version": version}, None)


@pytest.fixture
def world(cast, make_pitch, state_machine, sent):
    return cast, make_pitch(cast.creator)


def new_request(world, actor=None):
    cast, pitch_id = world
    return body_of(api("request", actor or cast.investor, body={"pitchId": pitch_id, "message": "Hello"}))[
        "id"
    ]


def notifications(user_id: str) -> list[Notification]:
    return list(Notification.query(user_id))


def pdf_text(key: str) -> str:
    body = boto3.client("s3").get_object(Bucket=documents.bucket(), Key=key)["Body"].read()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return " ".join(text.split())  # justified lines extract with extra spaces


# --- notifications ---------------------------------------------------------------------------------------
def test_notify_request_tells_the_creator(world):
    cast, _ = world
    nda_id = new_request(world)
    assert step("notify_request", nda_id) == {}
    [note] = notifications(cast.creator.id)
    assert note.type == "nda_request" and note.data["ndaId"] == nda_id
    assert "Marcus Whitfield" in note.body and "Harbour Capital" in note.body and "Hello" in note.body
    assert notifications(cast.investor.id) == []


def test_outcome_notifications_reach_the_right_parties(world):
    cast, _ = world
    nda_id = new_request(world)
    body_of(api("reject", cast.creator, id=nda_id, body={"reason": "Too early"}))
    step("notify_rejected", nda_id)
    [note] = notifications(cast.investor.id)
    assert note.type == "nda_rejected" and "Too early" in note.body

    nda_id = new_request(world)
    body_of(api("approve", cast.creator, id=nda_id))
    step("notify_approved", nda_id)
    assert notifications(cast.investor.id)[-1].type == "nda_approved"
    body_of(api("sign", cast.investor, id=nda_id, body={"signerName": "Marcus Whitfield", "accept": True}))
    step("notify_signed", nda_id)
    assert notifications(cast.investor.id)[-1].type == "nda_signed"
    assert notifications(cast.creator.id)[-1].type == "nda_signed"
    assert "Marcus Whitfield" in notifications(cast.creator.id)[-1].body


# --- waits -----------------------------------------------------------------------------------------------
def test_await_decision_stores_the_token_and_waits(world, sent):
    cast, _ = world
    nda_id = new_request(world)
    assert step("await_decision", nda_id, taskToken="tok-1") == {}
    assert Nda.get(nda_id).decision_task_token == "tok-1"
    assert sent == []
    body_of(api("approve", cast.creator, id=nda_id))
    assert sent == [("tok-1", "approved")]  # the API resumed the wait with the stored token


def test_await_decision_resumes_itself_when_the_api_decided_first(world, sent):
    cast, _ = world
    nda_id = new_request(world)
    body_of(api("reject", cast.creator, id=nda_id))
    assert sent == []  # no token yet
    step("await_decision", nda_id, taskToken="tok-2")
    assert sent == [("tok-2", "rejected")]


def test_await_signature_resumes_itself_when_already_signed(world, sent):
    cast, _ = world
    nda_id = new_request(world)
    body_of(api("approve", cast.creator, id=nda_id))
    step("await_signature", nda_id, taskToken="sig-1")
    assert sent == []
    body_of(api("sign", cast.investor, id=nda_id, body={"signerName": "M W", "accept": True}))
    assert sent == [("sig-1", "signed")]

    other = new_request(world, cast.production)
    body_of(api("approve", cast.creator, id=other))
    body_of(api("sign", cast.production, id=other, body={"signerName": "P N", "accept": True}))
    step("await_signature", other, taskToken="sig-2")
    assert sent[-1] == ("sig-2", "signed")


# --- expiry ----------------------------------------------------------------------------------------------
def test_decision_timeout_expires_and_releases_the_claim(world):
    cast, pitch_id = world
    nda_id = new_request(world)
    assert step("expire", nda_id, stage="decision") == {"outcome": "expired"}
    nda = Nda.get(nda_id)
    assert nda.status == "expired" and nda.creator_status.endswith("#expired")
    with pytest.raises(OpenNdaClaim.DoesNotExist):
        OpenNdaClaim.get(open_claim_key(pitch_id, cast.investor.id))
    step("notify_expired", nda_id)
    assert notifications(cast.creator.id)[-1].type == "nda_expired"
    assert notifications(cast.investor.id)[-1].type == "nda_expired"
    # A retry of the step after it succeeded changes nothing.
    assert step("expire", nda_id, stage="decision") == {"outcome": "expired"}
    # The API can no longer decide it; the requester may ask again.
    assert api("approve", cast.creator, id=nda_id).code == "INVALID_TRANSITION"
    assert api("request", cast.investor, body={"pitchId": pitch_id}).status == 201


def test_decision_timeout_after_a_claimed_decision_continues_with_it(world):
    cast, _ = world
    nda_id = new_request(world)
    body_of(api("approve", cast.creator, id=nda_id))
    assert step("expire", nda_id, stage="decision") == {"outcome": "approved"}
    assert Nda.get(nda_id).status == "approved"


def test_signature_timeout_expires_an_unsigned_approval(world):
    cast, pitch_id = world
    nda_id = new_request(world)
    body_of(api("approve", cast.creator, id=nda_id))
    assert step("expire", nda_id, stage="signature") == {"outcome": "expired"}
    assert Nda.get(nda_id).status == "expired"
    assert api("sign", cast.investor, id=nda_id, body={"signerName": "M", "accept": True}).status == 409
    assert has_signed_nda(cast.investor.id, pitch_id) is False


def test_signature_timeout_after_signing_continues_as_signed(world):
    cast, pitch_id = world
    nda_id = new_request(world)
    body_of(api("approve", cast.creator, id=nda_id))
    body_of(api("sign", cast.investor, id=nda_id, body={"signerName": "M", "accept": True}))
    assert step("expire", nda_id, stage="signature") == {"outcome": "signed"}
    assert has_signed_nda(cast.investor.id, pitch_id) is True


def test_expiring_a_closed_nda_is_a_permanent_error(world):
    cast, _ = world
    nda_id = new_request(world)
    body_of(api("reject", cast.creator, id=nda_id))
    with pytest.raises(StateConflict):
        step("expire", nda_id, stage="signature")
    assert Nda.get(nda_id).status == "rejected"


# --- failures --------------------------------------------------------------------------------------------
def test_record_failure_marks_the_nda(world):
    nda_id = new_request(world)
    failure = {"Error": "NdaStateConflict", "Cause": '{"errorMessage": "boom"}'}
    assert step("record_failure", nda_id, failure=failure) == {}
    recorded = Nda.get(nda_id).workflow_error
    assert recorded["error"] == "NdaStateConflict" and "boom" in recorded["cause"]


def test_unknown_step_and_missing_nda_fail(world):
    with pytest.raises(ValueError):
        step("dance", "x")
    with pytest.raises(StateConflict):
        step("notify_request", "missing")


def test_transient_errors_are_named_for_retry(world, monkeypatch):
    nda_id = new_request(world)
    throttled = ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "UpdateItem"
    )

    def fail(*args, **kwargs):
        raise UpdateError("Failed to update item", throttled)

    monkeypatch.setattr(Nda, "update", fail)
    with pytest.raises(TransientError):
        step("await_decision", nda_id, taskToken="t")


def test_transient_classification():
    assert is_transient(EndpointConnectionError(endpoint_url="http://x"))
    assert is_transient(
        ClientError({"Error": {"Code": "X"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, "op")
    )
    assert not is_transient(ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "op"))
    assert not is_transient(ValueError("bug"))


# --- documents -------------------------------------------------------------------------------------------
def test_approved_and_signed_documents(world):
    cast, pitch_id = world
    nda_id = new_request(world)
    body_of(api("approve", cast.creator, id=nda_id))
    assert generate(nda_id, "approved") == {"documentKey": "stored"}
    nda = Nda.get(nda_id)
    key = nda.document_key
    # The key reveals nothing: no NDA, pitch or user id in it.
    for secret in (nda_id, pitch_id, cast.creator.id, cast.investor.id):
        assert secret not in key
    head = boto3.client("s3").head_object(Bucket=documents.bucket(), Key=key)
    assert head["ServerSideEncryption"] == "AES256" and head["ContentType"] == "application/pdf"
    text = pdf_text(key)
    for expected in (
        "NON-DISCLOSURE AGREEMENT",
        "The Last Lighthouse Keeper",
        "Zoë Łukasiewicz",
        "Northlight Pictures",
        "Marcus Whitfield",
        "Harbour Capital",
        "Confidential Information",
        nda.agreement_sha256,
    ):
        assert expected in text, expected
    assert generate(nda_id, "approved") == {"documentKey": "exists"}  # a retry renders nothing new
    assert Nda.get(nda_id).document_key == key

    body_of(
        api(
            "sign",
            cast.investor,
            id=nda_id,
            body={"signerName": "Marcus A. Whitfield", "accept": True},
            headers={"user-agent": "Mozilla/5.0 TestBrowser/1.0"},
            source_ip="203.0.113.44",
        )
    )
    assert generate(nda_id, "signed") == {"documentKey": "stored"}
    signed = Nda.get(nda_id)
    signed_text = pdf_text(signed.signed_document_key)
    for expected in (
        "Marcus A. Whitfield",
        "203.0.113.44",
        "Mozilla/5.0 TestBrowser/1.0",
        nda.agreement_sha256,
    ):
        assert expected in signed_text, expected
    assert "Electronic signature record".upper() in signed_text.upper()
    assert body_of(api("get", cast.investor, id=nda_id))["documentAvailable"] is True


def test_documents_follow_the_nda_type(cast, make_pitch, state_machine):
    custom = make_pitch(
        cast.creator, nda_type="custom", custom_text="No studio may hear of this.\n\nBurn after reading."
    )
    enhanced = make_pitch(cast.creator, nda_type="enhanced")
    texts = {}
    for name, pitch_id in (("custom", custom), ("enhanced", enhanced)):
        nda_id = body_of(api("request", cast.investor, body={"pitchId": pitch_id}))["id"]
        body_of(api("approve", cast.creator, id=nda_id))
        generate(nda_id, "approved")
        texts[name] = pdf_text(Nda.get(nda_id).document_key)
    assert "No studio may hear of this." in texts["custom"] and "Burn after reading." in texts["custom"]
    assert "Terms Set by the Disclosing Party" in texts["custom"]
    assert "Non-Circumvention" in texts["enhanced"] and "five (5) years" in texts["enhanced"]


def test_documents_refuse_the_wrong_state(world):
    cast, _ = world
    nda_id = new_request(world)
    with pytest.raises(documents.DocumentStateError):
        generate(nda_id, "approved")
    body_of(api("approve", cast.creator, id=nda_id))
    with pytest.raises(documents.DocumentStateError):
        generate(nda_id, "signed")


def test_tampered_approved_text_is_refused(world):
    cast, _ = world
    nda_id = new_request(world)
    body_of(api("approve", cast.creator, id=nda_id))
    generate(nda_id, "approved")
    body_of(api("sign", cast.investor, id=nda_id, body={"signerName": "M", "accept": True}))
    Nda(nda_id).update(actions=[Nda.agreement_sha256.set("0" * 64)])
    with pytest.raises(documents.DocumentStateError):
        generate(nda_id, "signed")
