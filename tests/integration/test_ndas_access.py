"""#21 through the local runtime: an access period set at approval, enforced by the state machine (a Wait
state until accessExpiresAt, then signed → expired) with the access "day" shortened to seconds through the
NdaAccessDaySeconds Parameter; bulk decisions with a mix of ids and a race against a single decision;
reminders racing; document verification; creator statistics."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest

from tests.integration.accounts import parties, register
from tests.integration.test_ndas_flow import (
    error,
    execution,
    execution_status,
    nda_action,
    nda_get,
    nda_request,
    notified,
    ok,
    pdf_text,
    published_pitch,
    wait_for,
)

pytestmark = pytest.mark.integration

DAY_SECONDS = 3
RUNTIME_OVERRIDES = {"NdaAccessDaySeconds": str(DAY_SECONDS)}
SIGNATURE = {"signerName": "Marcus Whitfield", "accept": True}


@pytest.fixture(scope="module")
def people(runtime):
    return parties(runtime)


def at(iso_text: str) -> datetime:
    return datetime.fromisoformat(iso_text.replace("Z", "+00:00"))


def protected_visible(runtime, who, pitch_id) -> bool:
    return ok(runtime.client.get(f"/api/pitches/{pitch_id}", headers=who.headers))["canViewProtected"]


def test_the_state_machine_ends_access_when_the_access_period_is_over(runtime, people):
    creator, investor = people["creator"], people["investor"]
    pitch = published_pitch(runtime, creator)
    nda = ok(nda_request(runtime, investor, pitch["id"]), 201)
    approved = ok(nda_action(runtime, creator, nda["id"], "approve", {"accessDays": 2}))
    assert approved["accessDays"] == 2 and approved["accessExpiresAt"] is None
    signed = ok(nda_action(runtime, investor, nda["id"], "sign", SIGNATURE))
    assert (at(signed["accessExpiresAt"]) - at(signed["signedAt"])).total_seconds() == 2 * DAY_SECONDS
    assert protected_visible(runtime, investor, pitch["id"]) is True

    expired = wait_for(lambda: (n := nda_get(runtime, investor, nda["id"]))["status"] == "expired" and n, 60)
    assert datetime.now(UTC) >= at(signed["accessExpiresAt"])  # not before its time
    assert protected_visible(runtime, investor, pitch["id"]) is False
    assert expired["accessExpiresAt"] == signed["accessExpiresAt"]
    wait_for(lambda: execution_status(runtime, nda["id"]) == "SUCCEEDED")
    assert notified(runtime, investor, "nda_expired", nda["id"])
    assert notified(runtime, creator, "nda_expired", nda["id"])
    error(nda_action(runtime, creator, nda["id"], "revoke"), 409, "INVALID_TRANSITION")
    # Closed: the requester may ask again.
    assert nda_request(runtime, investor, pitch["id"]).status_code == 201


def entered_states(runtime, nda_id: str) -> set[str]:
    found = execution(runtime, nda_id)
    if not found:
        return set()
    answer = runtime.client.get("/_local/executions", params={"execution": found["executionArn"]})
    answer.raise_for_status()
    events = answer.json().get("events", [])
    return {e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e}


def test_a_revocation_before_the_end_of_access_wins(runtime, people):
    creator, production = people["creator"], people["production"]
    pitch = published_pitch(runtime, creator)
    nda = ok(nda_request(runtime, production, pitch["id"]), 201)
    # Five "days" (15 s): room for a loaded CI machine to reach the Wait state before access ends.
    ok(nda_action(runtime, creator, nda["id"], "approve", {"accessDays": 5}))
    signed = ok(nda_action(runtime, production, nda["id"], "sign", {"signerName": "Priya N", "accept": True}))
    # Revoke while the workflow waits for the end of access (a revoke before it gets there ends it at once).
    wait_for(lambda: "WaitForAccessEnd" in entered_states(runtime, nda["id"]), 60)
    assert ok(nda_action(runtime, creator, nda["id"], "revoke"))["status"] == "revoked"
    wait_for(lambda: execution_status(runtime, nda["id"]) == "SUCCEEDED", 60)
    assert datetime.now(UTC) >= at(signed["accessExpiresAt"])  # the execution waited out the period
    assert nda_get(runtime, production, nda["id"])["status"] == "revoked"
    assert not notified(runtime, production, "nda_expired", nda["id"])


def test_custom_terms_are_in_the_document_and_anyone_may_verify_it(runtime, people):
    creator, investor = people["creator"], people["investor"]
    pitch = published_pitch(runtime, creator)
    nda = ok(nda_request(runtime, investor, pitch["id"]), 201)
    terms = "The Receiving Party shall not approach the lead actor before financing closes."
    ok(nda_action(runtime, creator, nda["id"], "approve", {"customTerms": terms}))

    def document() -> bytes:
        link = ok(runtime.client.get(f"/api/ndas/{nda['id']}/document", headers=investor.headers))
        answer = httpx.get(link["downloadUrl"], timeout=30)
        assert answer.status_code == 200
        return answer.content

    def verify(digest: str, nda_id: str = nda["id"]) -> httpx.Response:
        # No credentials: whoever holds the document.
        return httpx.get(f"{runtime.http}/api/ndas/{nda_id}/verify", params={"sha256": digest}, timeout=30)

    approved_pdf = document()
    link = ok(runtime.client.get(f"/api/ndas/{nda['id']}/document", headers=investor.headers))
    assert "shall not approach the lead actor" in pdf_text(link["downloadUrl"])
    approved_digest = hashlib.sha256(approved_pdf).hexdigest()
    assert ok(verify(approved_digest)) == {"ndaId": nda["id"], "genuine": True, "version": "approved"}

    ok(nda_action(runtime, investor, nda["id"], "sign", SIGNATURE))
    wait_for(lambda: execution_status(runtime, nda["id"]) == "SUCCEEDED")
    signed_digest = hashlib.sha256(document()).hexdigest()
    assert ok(verify(signed_digest)) == {"ndaId": nda["id"], "genuine": True, "version": "signed"}
    assert ok(verify(approved_digest))["version"] == "approved"  # the earlier version stays genuine
    forged = hashlib.sha256(approved_pdf + b"%tampered").hexdigest()
    assert ok(verify(forged)) == {"ndaId": nda["id"], "genuine": False, "version": None}
    assert ok(verify(signed_digest, "no-such-nda")) == {
        "ndaId": "no-such-nda",
        "genuine": False,
        "version": None,
    }
    error(verify("not-hex"), 422, "VALIDATION_ERROR")


def test_bulk_approve_with_valid_foreign_decided_and_repeated_ids(runtime, people):
    creator, investor, production, stranger = (
        people[k] for k in ("creator", "investor", "production", "stranger")
    )
    pitch = published_pitch(runtime, creator)
    valid = [ok(nda_request(runtime, who, pitch["id"]), 201)["id"] for who in (investor, production)]
    decided = ok(nda_request(runtime, stranger, pitch["id"]), 201)["id"]
    ok(nda_action(runtime, creator, decided, "reject", {"reason": "Not now"}))
    rival = register(runtime, "creator", "Rita", "Rival")
    rival_pitch = published_pitch(runtime, rival)
    foreign = ok(nda_request(runtime, investor, rival_pitch["id"]), 201)["id"]

    ids = [valid[0], foreign, decided, valid[1], valid[0], "no-such-nda"]
    body = {"ids": ids, "accessDays": 30, "customTerms": "Kept in the data room."}
    results = ok(runtime.client.post("/api/ndas/bulk-approve", json=body, headers=creator.headers))["results"]
    assert [r["id"] for r in results] == ids
    assert [r.get("status") or r["error"]["code"] for r in results] == [
        "approved",
        "NOT_FOUND",
        "INVALID_TRANSITION",
        "approved",
        "DUPLICATE_ID",
        "NOT_FOUND",
    ]
    assert "nda" not in results[1] and "pitchTitle" not in str(results[1])  # nothing about the rival's NDA
    assert nda_get(runtime, rival, foreign)["status"] == "pending"
    # Each approval went through the workflow: the approved document is generated and the requester told.
    for nda_id, who in zip(valid, (investor, production), strict=True):
        wait_for(lambda nda_id=nda_id, who=who: notified(runtime, who, "nda_approved", nda_id))
        assert nda_get(runtime, who, nda_id)["accessDays"] == 30

    rejected = ok(
        runtime.client.post(
            "/api/ndas/bulk-reject", json={"ids": [foreign, valid[0]], "reason": "x"}, headers=creator.headers
        )
    )["results"]
    assert [r["error"]["code"] for r in rejected] == ["NOT_FOUND", "INVALID_TRANSITION"]
    error(
        runtime.client.post("/api/ndas/bulk-reject", json={"ids": [foreign]}, headers=creator.headers),
        422,
        "VALIDATION_ERROR",
    )
    too_many = {"ids": [f"n{i}" for i in range(101)]}
    error(
        runtime.client.post("/api/ndas/bulk-approve", json=too_many, headers=creator.headers),
        422,
        "VALIDATION_ERROR",
    )


def test_bulk_approve_racing_a_single_reject_has_one_winner(runtime, people):
    creator, investor = people["creator"], people["investor"]
    for _ in range(3):
        pitch = published_pitch(runtime, creator)
        nda_id = ok(nda_request(runtime, investor, pitch["id"]), 201)["id"]

        def bulk(nda_id=nda_id):
            path = "/api/ndas/bulk-approve"
            return runtime.client.post(path, json={"ids": [nda_id]}, headers=creator.headers)

        def single(nda_id=nda_id):
            return nda_action(runtime, creator, nda_id, "reject", {"reason": "Changed my mind"})

        with ThreadPoolExecutor(max_workers=2) as pool:
            bulk_answer, reject_answer = (f.result() for f in [pool.submit(bulk), pool.submit(single)])
        [result] = ok(bulk_answer)["results"]
        approve_won = result.get("status") == "approved"
        reject_won = reject_answer.status_code == 200
        assert approve_won != reject_won, (result, reject_answer.text)
        if approve_won:
            error(reject_answer, 409, "INVALID_TRANSITION")
        else:
            assert result["error"]["code"] == "INVALID_TRANSITION"
        final = "approved" if approve_won else "rejected"
        assert nda_get(runtime, investor, nda_id)["status"] == final
        kind = "nda_approved" if approve_won else "nda_rejected"
        wait_for(lambda kind=kind, nda_id=nda_id: notified(runtime, investor, kind, nda_id))


def test_parallel_reminders_notify_the_creator_once(runtime, people):
    creator, production = people["creator"], people["production"]
    pitch = published_pitch(runtime, creator)
    nda = ok(nda_request(runtime, production, pitch["id"]), 201)
    error(nda_action(runtime, creator, nda["id"], "remind"), 404, "NOT_FOUND")  # requester only
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: nda_action(runtime, production, nda["id"], "remind"), range(2)))
    assert sorted(a.status_code for a in answers) == [200, 429]
    limited = next(a for a in answers if a.status_code == 429)
    assert limited.json()["error"]["code"] == "RATE_LIMITED"
    assert 86_000 < int(limited.headers["Retry-After"]) <= 86_401

    def reminders():
        found = ok(runtime.client.get("/api/notifications", headers=creator.headers))
        return [n for n in found if n["data"].get("ndaId") == nda["id"] and n["data"].get("reminder")]

    wait_for(reminders)
    assert len(reminders()) == 1 and reminders()[0]["type"] == "nda_request"
    ok(nda_action(runtime, creator, nda["id"], "approve"))
    error(nda_action(runtime, production, nda["id"], "remind"), 409, "INVALID_TRANSITION")


def test_stats_for_a_creator(runtime, people):
    investor, production = people["investor"], people["production"]
    creator = register(runtime, "creator", "Stella", "Stats")
    pitch = published_pitch(runtime, creator)
    approved = ok(nda_request(runtime, investor, pitch["id"]), 201)["id"]
    rejected = ok(nda_request(runtime, production, pitch["id"]), 201)["id"]
    ok(nda_action(runtime, creator, approved, "approve"))
    ok(nda_action(runtime, creator, rejected, "reject"))
    ok(nda_action(runtime, investor, approved, "sign", SIGNATURE))
    stats = ok(runtime.client.get("/api/ndas/stats", headers=creator.headers))
    assert {
        k: stats[k] for k in ("total", "pending", "approved", "rejected", "signed", "expired", "revoked")
    } == {
        "total": 2,
        "pending": 0,
        "approved": 0,
        "rejected": 1,
        "signed": 1,
        "expired": 0,
        "revoked": 0,
    }
    assert stats["approvalRate"] == 0.5 and stats["completionRate"] == 1.0
    assert 0 <= stats["medianDecisionSeconds"] < 60
    error(runtime.client.get("/api/ndas/stats", headers=investor.headers), 403, "FORBIDDEN")


def test_a_continuation_execution_enters_at_the_access_wait(runtime, people):
    """The entry an access period longer than one execution's year continues through (`stage: access`),
    run in the local engine: for an NDA whose access is not limited it ends at once, leaving it signed."""
    creator, investor = people["creator"], people["investor"]
    pitch = published_pitch(runtime, creator)
    nda = ok(nda_request(runtime, investor, pitch["id"]), 201)
    ok(nda_action(runtime, creator, nda["id"], "approve"))
    ok(nda_action(runtime, investor, nda["id"], "sign", SIGNATURE))
    wait_for(lambda: execution_status(runtime, nda["id"]) == "SUCCEEDED")
    sfn = runtime.boto3("stepfunctions")
    [machine] = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"].endswith("-nda")]
    arn = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"],
        name=f"{nda['id']}-access-1",
        input=f'{{"ndaId": "{nda["id"]}", "stage": "access"}}',
    )["executionArn"]
    wait_for(lambda: sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED")
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in sfn.get_execution_history(executionArn=arn)["events"]
        if "stateEnteredEventDetails" in e
    ]
    assert entered == ["Start", "AccessTerm", "AccessLimited", "Signed"]
    assert nda_get(runtime, investor, nda["id"])["status"] == "signed"
