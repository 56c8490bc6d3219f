"""#21 through the handlers and the workflow's steps: terms and access period at approval (and the state
machine's expiry of a signed NDA), bulk decisions, reminders, document verification, creator statistics."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import boto3
import pytest

from pitchey.core import clock
from pitchey.ndas import documents
from pitchey.ndas import reminders as reminders_module
from pitchey.ndas.access import has_signed_nda
from pitchey.ndas.models import Nda, OpenNdaClaim, open_claim_key
from pitchey.notifications.models import Notification
from tests.events import load_handler
from tests.unit.test_ndas_support import api, body_of

pytest_plugins = ("tests.unit.test_ndas_support",)  # fixtures: cast, make_pitch, state_machine, sent

WORKFLOW = load_handler("ndas/workflow")
GENERATE = load_handler("ndas/documents/generate")
SIGNATURE = {"signerName": "Marcus Whitfield", "accept": True}


@pytest.fixture
def world(cast, make_pitch, state_machine, sent):
    return cast, make_pitch(cast.creator)


def step(name: str, nda_id: str, **extra):
    return WORKFLOW({"step": name, "ndaId": nda_id, **extra}, None)


def started(days_ago: float = 0) -> str:
    return clock.iso_precise(clock.now() - timedelta(days=days_ago))


def new_request(world, actor=None) -> str:
    cast, pitch_id = world
    return body_of(api("request", actor or cast.investor, body={"pitchId": pitch_id}))["id"]


def signed_with_access(world, days: int, actor=None) -> dict:
    cast, _ = world
    nda_id = new_request(world, actor)
    body_of(api("approve", cast.creator, id=nda_id, body={"accessDays": days}))
    return body_of(api("sign", actor or cast.investor, id=nda_id, body=SIGNATURE))


def notes(user_id: str) -> list[Notification]:
    return list(Notification.query(user_id))


# --- approval terms and the access period ---------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        {"accessDays": 0},
        {"accessDays": 3651},
        {"accessDays": "30"},
        {"accessDays": True},
        {"accessDays": 1.5},
        {"customTerms": "x" * 10_001},
        {"customTerms": 5},
        {"accessExpiresAt": "2030-01-01T00:00:00Z"},
    ],
)
def test_approve_refuses_bad_terms_with_422_and_leaves_the_nda_pending(world, body):
    cast, _ = world
    nda_id = new_request(world)
    assert api("approve", cast.creator, id=nda_id, body=body).code == "VALIDATION_ERROR"
    assert Nda.get(nda_id).status == "pending"


def test_access_period_runs_from_signing_and_shows_on_the_nda(world, setenv):
    cast, _ = world
    setenv("NDA_ACCESS_DAY_SECONDS", "60")  # a "day" of one minute, as the integration test shortens it
    nda_id = new_request(world)
    approved = body_of(
        api(
            "approve",
            cast.creator,
            id=nda_id,
            body={"accessDays": 3, "customTerms": "No pitching to rivals."},
        )
    )
    assert approved["accessDays"] == 3 and approved["accessExpiresAt"] is None  # not signed yet
    signed = body_of(api("sign", cast.investor, id=nda_id, body=SIGNATURE))
    ends = clock.from_iso(signed["accessExpiresAt"]) - clock.from_iso(signed["signedAt"])
    assert ends == timedelta(seconds=180)
    assert body_of(api("get", cast.investor, id=nda_id))["accessExpiresAt"] == signed["accessExpiresAt"]
    assert Nda.get(nda_id).custom_terms == "No pitching to rivals."


def test_without_an_access_period_access_is_unlimited(world):
    cast, _ = world
    nda_id = new_request(world)
    body_of(api("approve", cast.creator, id=nda_id, body={}))
    signed = body_of(api("sign", cast.investor, id=nda_id, body=SIGNATURE))
    assert signed["accessDays"] is None and signed["accessExpiresAt"] is None
    assert step("access_term", nda_id, startedAt=started()) == {"limited": False, "waitUntil": None}


def test_custom_terms_and_access_period_are_in_the_document_and_its_digest_is_stored(world):
    from tests.unit.test_ndas_workflow import pdf_text

    cast, _ = world
    nda_id = new_request(world)
    terms = "The Receiving Party shall not contact the cast.\n\nNo copies leave the data room."
    body_of(api("approve", cast.creator, id=nda_id, body={"customTerms": terms, "accessDays": 30}))
    GENERATE({"step": "generate_document", "ndaId": nda_id, "version": "approved"}, None)
    nda = Nda.get(nda_id)
    text = pdf_text(nda.document_key)
    assert "Additional Terms Set by the Disclosing Party" in text and "shall not contact the cast" in text
    assert "No copies leave the data room" in text
    assert "ends 30 days after the Receiving Party signs" in text
    stored = boto3.client("s3").get_object(Bucket=documents.bucket(), Key=nda.document_key)["Body"].read()
    assert nda.document_sha256 == hashlib.sha256(stored).hexdigest()

    body_of(api("sign", cast.investor, id=nda_id, body=SIGNATURE))
    GENERATE({"step": "generate_document", "ndaId": nda_id, "version": "signed"}, None)
    nda = Nda.get(nda_id)
    signed = boto3.client("s3").get_object(Bucket=documents.bucket(), Key=nda.signed_document_key)["Body"]
    assert nda.signed_document_sha256 == hashlib.sha256(signed.read()).hexdigest()
    assert "shall not contact the cast" in pdf_text(nda.signed_document_key)  # the same approved text


def test_access_term_waits_until_the_end_or_the_end_of_the_execution_span(world):
    nda = signed_with_access(world, 30)
    term = step("access_term", nda["id"], startedAt=started())
    # One second past the end: a Wait may wake a second early, and access must not close before its time.
    assert term == {
        "limited": True,
        "waitUntil": clock.iso(clock.from_iso(nda["accessExpiresAt"]) + timedelta(seconds=1)),
    }
    long = signed_with_access(world, 3650, world[0].production)
    begun = started(days_ago=10)
    term = step("access_term", long["id"], startedAt=begun)
    assert clock.from_iso(term["waitUntil"]) - clock.from_iso(begun) <= timedelta(days=360)
    assert clock.from_iso(term["waitUntil"]) < clock.from_iso(long["accessExpiresAt"])


def test_expire_access_closes_access_releases_the_claim_and_notifies_both(world, setenv):
    cast, pitch_id = world
    setenv("NDA_ACCESS_DAY_SECONDS", "3")
    nda = signed_with_access(world, 1)
    assert has_signed_nda(cast.investor.id, pitch_id) is True
    early = step("expire_access", nda["id"], startedAt=started(), execution=nda["id"])
    assert early == {"outcome": "wait"}  # the end is seconds away: the execution waits again
    assert Nda.get(nda["id"]).status == "signed"
    threading.Event().wait(3.1)
    assert step("expire_access", nda["id"], startedAt=started(), execution=nda["id"]) == {
        "outcome": "expired"
    }
    stored = Nda.get(nda["id"])
    assert stored.status == "expired" and stored.creator_status.endswith("#expired")
    assert has_signed_nda(cast.investor.id, pitch_id) is False
    with pytest.raises(OpenNdaClaim.DoesNotExist):
        OpenNdaClaim.get(open_claim_key(pitch_id, cast.investor.id))
    step("notify_expired", nda["id"])
    for user in (cast.creator, cast.investor):
        [note] = [n for n in notes(user.id) if n.type == "nda_expired"]
        assert "access period" in note.body
    # A retry of the step changes nothing; the creator can no longer revoke; the requester may ask again.
    assert step("expire_access", nda["id"], startedAt=started(), execution=nda["id"]) == {
        "outcome": "expired"
    }
    assert api("revoke", cast.creator, id=nda["id"], body={}).code == "INVALID_TRANSITION"
    assert api("request", cast.investor, body={"pitchId": pitch_id}).status == 201


def test_a_revocation_before_the_end_wins(world, setenv):
    cast, _ = world
    setenv("NDA_ACCESS_DAY_SECONDS", "1")
    nda = signed_with_access(world, 1)
    body_of(api("revoke", cast.creator, id=nda["id"], body={}))
    threading.Event().wait(1.1)
    assert step("expire_access", nda["id"], startedAt=started(), execution=nda["id"]) == {
        "outcome": "revoked"
    }
    assert Nda.get(nda["id"]).status == "revoked"


def test_an_access_period_longer_than_an_execution_continues_in_a_new_one(world, state_machine):
    nda = signed_with_access(world, 3650)
    near_span_end = started(days_ago=360)
    outcome = step("expire_access", nda["id"], startedAt=near_span_end, execution=nda["id"])
    assert outcome == {"outcome": "continued"}
    client = boto3.client("stepfunctions")
    arn = state_machine.replace(":stateMachine:", ":execution:")
    first = client.describe_execution(executionArn=f"{arn}:{nda['id']}-access-1")
    assert first["input"] == f'{{"ndaId": "{nda["id"]}", "stage": "access"}}'
    # The continuation numbers on; a retry of the step does not start a second one.
    step("expire_access", nda["id"], startedAt=near_span_end, execution=f"{nda['id']}-access-1")
    step("expire_access", nda["id"], startedAt=near_span_end, execution=f"{nda['id']}-access-1")
    client.describe_execution(executionArn=f"{arn}:{nda['id']}-access-2")
    assert Nda.get(nda["id"]).status == "signed"


# --- bulk decisions -------------------------------------------------------------------------------------
def test_bulk_approve_reports_each_id_in_input_order(world, make_pitch):
    cast, _ = world
    mine = [new_request(world), new_request(world, cast.production)]
    decided = new_request(world, cast.stranger)
    body_of(api("reject", cast.creator, id=decided, body={}))
    other_creator_pitch = make_pitch(_other_creator())
    foreign = body_of(api("request", cast.investor, body={"pitchId": other_creator_pitch}))["id"]
    ids = [mine[0], foreign, decided, "no-such-nda", mine[1], mine[0]]
    answer = api("bulk_approve", cast.creator, body={"ids": ids, "accessDays": 7, "customTerms": "Be kind."})
    assert answer.status == 200
    results = answer.data["results"]
    assert [r["id"] for r in results] == ids
    assert results[0]["status"] == "approved" and results[0]["nda"]["accessDays"] == 7
    assert results[4]["status"] == "approved"
    assert results[1]["error"]["code"] == "NOT_FOUND" and "nda" not in results[1]
    assert results[2]["error"]["code"] == "INVALID_TRANSITION"
    assert results[3]["error"]["code"] == "NOT_FOUND"
    assert results[5]["error"]["code"] == "DUPLICATE_ID"
    assert Nda.get(mine[0]).custom_terms == "Be kind." and Nda.get(mine[1]).access_days == 7
    assert Nda.get(foreign).status == "pending"  # not the caller's to decide: untouched


def _other_creator():
    from tests.unit.accounts import make_user

    return make_user("creator", first="Olga", last="Other")


def test_bulk_reject_needs_a_reason_and_releases_each_claim(world):
    cast, pitch_id = world
    ids = [new_request(world), new_request(world, cast.production)]
    assert api("bulk_reject", cast.creator, body={"ids": ids}).code == "VALIDATION_ERROR"
    assert api("bulk_reject", cast.creator, body={"ids": ids, "reason": "  "}).code == "VALIDATION_ERROR"
    results = body_of(api("bulk_reject", cast.creator, body={"ids": ids, "reason": "Not now"}))["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert Nda.get(ids[0]).rejection_reason == "Not now"
    assert api("request", cast.investor, body={"pitchId": pitch_id}).status == 201  # claim released


@pytest.mark.parametrize(
    "body",
    [{"ids": []}, {"ids": [f"n{i}" for i in range(101)]}, {"ids": "n1"}, {"ids": [""]}, {"ids": [1]}],
)
def test_bulk_refuses_empty_oversized_or_malformed_id_lists(world, body):
    cast, _ = world
    assert api("bulk_approve", cast.creator, body=body).code == "VALIDATION_ERROR"
    assert api("bulk_reject", cast.creator, body={**body, "reason": "r"}).code == "VALIDATION_ERROR"


def test_a_failure_of_one_id_does_not_abort_the_others(world, monkeypatch):
    from pitchey.ndas import service

    cast, _ = world
    ids = [new_request(world), new_request(world, cast.production)]
    original = service.approve

    def flaky(caller, nda_id, terms=None):
        if nda_id == ids[0]:
            raise RuntimeError("throttled")
        return original(caller, nda_id, terms)

    monkeypatch.setattr(service, "approve", flaky)
    results = body_of(api("bulk_approve", cast.creator, body={"ids": ids}))["results"]
    assert results[0]["error"]["code"] == "INTERNAL_ERROR"
    assert results[1]["status"] == "approved"


# --- reminders ------------------------------------------------------------------------------------------
def test_the_requester_reminds_the_creator_once_per_24_hours(world, monkeypatch):
    cast, _ = world
    nda_id = new_request(world)
    answer = api("remind", cast.investor, id=nda_id, body={})
    assert answer.status == 200 and answer.data["status"] == "pending"
    [note] = [n for n in notes(cast.creator.id) if n.data.get("reminder")]
    assert note.type == "nda_request" and "Marcus Whitfield" in note.body
    again = api("remind", cast.investor, id=nda_id, body={})
    assert again.status == 429 and again.code == "RATE_LIMITED"
    assert 86_000 < int(again.headers["Retry-After"]) <= 86_401
    later = clock.now() + timedelta(hours=24, seconds=5)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert api("remind", cast.investor, id=nda_id, body={}).status == 200


def test_only_the_requester_of_a_pending_nda_may_remind(world):
    cast, _ = world
    nda_id = new_request(world)
    assert api("remind", cast.creator, id=nda_id, body={}).status == 404
    assert api("remind", cast.stranger, id=nda_id, body={}).status == 404
    assert api("remind", cast.investor, id="no-such-nda", body={}).status == 404
    body_of(api("approve", cast.creator, id=nda_id, body={}))
    assert api("remind", cast.investor, id=nda_id, body={}).code == "INVALID_TRANSITION"


def test_parallel_reminders_notify_once(world):
    cast, _ = world
    nda_id = new_request(world)
    barrier, answers = threading.Barrier(4), []

    def remind():
        barrier.wait()
        answers.append(api("remind", cast.investor, id=nda_id, body={}).status)

    threads = [threading.Thread(target=remind) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 429, 429, 429]
    assert len([n for n in notes(cast.creator.id) if n.data.get("reminder")]) == 1


def test_a_reminder_that_could_not_be_sent_can_be_retried(world, monkeypatch):
    cast, _ = world
    nda_id = new_request(world)

    def broken(nda):
        raise RuntimeError("notifications down")

    monkeypatch.setattr(reminders_module, "_notify_creator", broken)
    assert api("remind", cast.investor, id=nda_id, body={}).status == 500
    monkeypatch.undo()
    assert api("remind", cast.investor, id=nda_id, body={}).status == 200


# --- verification ---------------------------------------------------------------------------------------
def test_verify_tells_genuine_and_version_and_nothing_else(world):
    cast, _ = world
    nda_id = new_request(world)
    body_of(api("approve", cast.creator, id=nda_id, body={}))
    GENERATE({"step": "generate_document", "ndaId": nda_id, "version": "approved"}, None)
    body_of(api("sign", cast.investor, id=nda_id, body=SIGNATURE))
    GENERATE({"step": "generate_document", "ndaId": nda_id, "version": "signed"}, None)
    nda = Nda.get(nda_id)

    def verify(sha256, nda_id=nda_id):
        return api("verify", None, id=nda_id, query={"sha256": sha256})

    approved = verify(nda.document_sha256.upper())  # hex in either case
    assert approved.status == 200
    assert approved.data == {"ndaId": nda_id, "genuine": True, "version": "approved"}
    assert verify(nda.signed_document_sha256).data == {"ndaId": nda_id, "genuine": True, "version": "signed"}
    wrong = hashlib.sha256(b"forged").hexdigest()
    assert verify(wrong).data == {"ndaId": nda_id, "genuine": False, "version": None}
    # An unknown id answers exactly like a wrong digest: no oracle for which ids exist.
    assert verify(wrong, "no-such-nda").data == {"ndaId": "no-such-nda", "genuine": False, "version": None}
    assert verify(nda.document_sha256, "x" * 300).data["genuine"] is False


@pytest.mark.parametrize(
    "query", [{}, {"sha256": ""}, {"sha256": "abc"}, {"sha256": "g" * 64}, {"sha256": "a" * 65}]
)
def test_verify_refuses_anything_but_64_hex_characters(world, query):
    answer = api("verify", None, id="n1", query=query)
    assert answer.status == 422 and answer.code == "VALIDATION_ERROR"


def test_verify_is_rate_limited_per_ip(world):
    digest = "0" * 64
    statuses = [
        api("verify", None, id="n1", query={"sha256": digest}, source_ip="203.0.113.9").status
        for _ in range(31)
    ]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    assert api("verify", None, id="n1", query={"sha256": digest}, source_ip="203.0.113.10").status == 200


# --- statistics -----------------------------------------------------------------------------------------
def test_stats_count_the_creators_ndas_and_compute_the_rates(world, monkeypatch):
    cast, _ = world
    assert body_of(api("stats", cast.creator)) == {
        "total": 0,
        **dict.fromkeys(("pending", "approved", "rejected", "signed", "expired", "revoked"), 0),
        "approvalRate": None,
        "medianDecisionSeconds": None,
        "completionRate": None,
    }
    approved, rejected, _pending, unsigned = (
        new_request(world, actor)
        for actor in (cast.investor, cast.production, cast.stranger, _other_investor())
    )
    start = clock.now()
    for nda_id, action, after in (
        (approved, "approve", 100),
        (rejected, "reject", 300),
        (unsigned, "approve", 50),
    ):
        monkeypatch.setattr(clock, "now", lambda after=after: start + timedelta(seconds=after))
        body_of(api(action, cast.creator, id=nda_id, body={}))
    monkeypatch.undo()
    body_of(api("sign", cast.investor, id=approved, body=SIGNATURE))
    stats = body_of(api("stats", cast.creator))
    assert {k: stats[k] for k in ("total", "pending", "approved", "rejected", "signed")} == {
        "total": 4,
        "pending": 1,
        "approved": 1,
        "rejected": 1,
        "signed": 1,
    }
    assert stats["approvalRate"] == round(2 / 3, 4)  # two approvals of three decisions
    assert stats["completionRate"] == 0.5  # one of the two approvals signed
    assert 90 <= stats["medianDecisionSeconds"] <= 110  # median of ~50, ~100, ~300 s
    # Another creator's NDAs are not counted.
    assert body_of(api("stats", _other_creator()))["total"] == 0


def _other_investor():
    from tests.unit.accounts import make_user

    return make_user("investor", first="Ivy", last="Other")


def test_stats_are_for_creators_only(world):
    cast, _ = world
    assert api("stats", cast.investor).status == 403
