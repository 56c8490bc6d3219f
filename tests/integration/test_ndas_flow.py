"""The NDA workflow through the local runtime: real HTTP, the Step Functions state machine executing in the
runtime (task tokens, Lambda tasks), the document function rendering PDFs into S3, notifications."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from tests.integration.accounts import Account, parties

pytestmark = pytest.mark.integration


def ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()["data"]


def error(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code, answer.text


def published_pitch(runtime: Any, owner: Account, **fields: Any) -> dict[str, Any]:
    body = {
        "title": "The Last Lighthouse Keeper",
        "logline": "A keeper guards a light no ship has needed for forty years.",
        "genre": "drama",
        "format": "feature",
        "shortSynopsis": "A lighthouse, a keeper, a secret.",
        "longSynopsis": "The whole story, for NDA signers only.",
        "requiresNDA": True,
        "ndaType": "basic",
        **fields,
    }
    pitch = ok(runtime.client.post("/api/pitches", json=body, headers=owner.headers), 201)
    path = f"/api/pitches/{pitch['id']}"
    return ok(runtime.client.put(path, json={"status": "published"}, headers=owner.headers))


def nda_request(runtime: Any, who: Account, pitch_id: str, **extra: Any) -> httpx.Response:
    return runtime.client.post("/api/ndas/request", json={"pitchId": pitch_id, **extra}, headers=who.headers)


def nda_action(runtime: Any, who: Account, nda_id: str, action: str, body: Any = None) -> httpx.Response:
    return runtime.client.post(f"/api/ndas/{nda_id}/{action}", json=body or {}, headers=who.headers)


def nda_get(runtime: Any, who: Account, nda_id: str) -> dict[str, Any]:
    return ok(runtime.client.get(f"/api/ndas/{nda_id}", headers=who.headers))


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def notifications(runtime: Any, who: Account) -> list[dict[str, Any]]:
    return ok(runtime.client.get("/api/notifications", headers=who.headers))


def notified(runtime: Any, who: Account, kind: str, nda_id: str) -> bool:
    return any(n["type"] == kind and n["data"].get("ndaId") == nda_id for n in notifications(runtime, who))


def execution(runtime: Any, nda_id: str) -> dict[str, Any] | None:
    params = {"stateMachine": "NdaStateMachine", "history": "false", "limit": "1000"}
    answer = runtime.client.get("/_local/executions", params=params)
    answer.raise_for_status()
    return next((e for e in answer.json()["executions"] if e.get("name") == nda_id), None)


def execution_status(runtime: Any, nda_id: str) -> str | None:
    found = execution(runtime, nda_id)
    return found and found.get("status")


def pdf_text(url: str) -> str:
    answer = httpx.get(url, timeout=30)
    assert answer.status_code == 200, answer.text[:500]
    reader = PdfReader(io.BytesIO(answer.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture(scope="module")
def people(runtime: Any) -> dict[str, Account]:
    return parties(runtime)


def test_request_approve_sign_opens_the_pitch_and_revoke_closes_it(runtime, people):
    creator, investor, stranger = people["creator"], people["investor"], people["stranger"]
    pitch = published_pitch(runtime, creator)
    pitch_path = f"/api/pitches/{pitch['id']}"
    hidden = ok(runtime.client.get(pitch_path, headers=investor.headers))
    assert hidden["canViewProtected"] is False and "longSynopsis" not in hidden

    nda = ok(nda_request(runtime, investor, pitch["id"], message="We would love to read it."), 201)
    assert nda["status"] == "pending" and nda["pitchTitle"] == pitch["title"]
    # The workflow notifies the creator (in-app; email per preferences).
    wait_for(lambda: notified(runtime, creator, "nda_request", nda["id"]))
    assert execution_status(runtime, nda["id"]) == "RUNNING"
    wait_for(lambda: any(pitch["title"] in str(mail) for mail in runtime.emails(to=creator.email)))

    approved = ok(nda_action(runtime, creator, nda["id"], "approve"))
    assert approved["status"] == "approved" and approved["decidedAt"]
    wait_for(lambda: notified(runtime, investor, "nda_approved", nda["id"]))
    assert nda_get(runtime, investor, nda["id"])["documentAvailable"] is True

    # The approved document names the pitch and both parties.
    link = ok(runtime.client.get(f"/api/ndas/{nda['id']}/document", headers=investor.headers))
    text = pdf_text(link["downloadUrl"])
    for expected in (
        "NON-DISCLOSURE AGREEMENT",
        pitch["title"],
        "Zoë Łukasiewicz",
        "Northlight Pictures",
        "Marcus Whitfield",
        "Harbour Capital",
    ):
        assert expected in text, expected
    error(runtime.client.get(f"/api/ndas/{nda['id']}/document", headers=stranger.headers), 404, "NOT_FOUND")

    signed = ok(
        nda_action(runtime, investor, nda["id"], "sign", {"signerName": "Marcus Whitfield", "accept": True})
    )
    assert signed["status"] == "signed" and signed["signerName"] == "Marcus Whitfield"
    opened = ok(runtime.client.get(pitch_path, headers=investor.headers))
    assert opened["canViewProtected"] is True
    assert opened["longSynopsis"] == "The whole story, for NDA signers only."
    assert "longSynopsis" not in ok(runtime.client.get(pitch_path, headers=stranger.headers))

    wait_for(lambda: execution_status(runtime, nda["id"]) == "SUCCEEDED")
    assert notified(runtime, creator, "nda_signed", nda["id"])
    assert notified(runtime, investor, "nda_signed", nda["id"])
    link = ok(runtime.client.get(f"/api/ndas/{nda['id']}/document", headers=creator.headers))
    signed_text = pdf_text(link["downloadUrl"])
    assert "Marcus Whitfield" in signed_text and "ELECTRONIC SIGNATURE RECORD" in signed_text.upper()

    revoked = ok(nda_action(runtime, creator, nda["id"], "revoke"))
    assert revoked["status"] == "revoked"
    closed = ok(runtime.client.get(pitch_path, headers=investor.headers))
    assert closed["canViewProtected"] is False and "longSynopsis" not in closed
    error(
        runtime.client.get(f"/api/ndas/{nda['id']}/document", headers=investor.headers),
        409,
        "DOCUMENT_NOT_AVAILABLE",
    )


def test_reject_with_reason_notifies_the_requester(runtime, people):
    creator, production = people["creator"], people["production"]
    pitch = published_pitch(runtime, creator)
    nda = ok(nda_request(runtime, production, pitch["id"]), 201)
    rejected = ok(nda_action(runtime, creator, nda["id"], "reject", {"reason": "Studio talks under way"}))
    assert rejected["status"] == "rejected" and rejected["rejectionReason"] == "Studio talks under way"
    wait_for(lambda: execution_status(runtime, nda["id"]) == "SUCCEEDED")
    note = next(n for n in notifications(runtime, production) if n["data"].get("ndaId") == nda["id"])
    assert note["type"] == "nda_rejected" and "Studio talks under way" in note["body"]
    # Closed, so a new request is allowed.
    assert nda_request(runtime, production, pitch["id"]).status_code == 201


def test_request_rules(runtime, people):
    creator, investor = people["creator"], people["investor"]
    pitch = published_pitch(runtime, creator)
    error(nda_request(runtime, creator, pitch["id"]), 403, "FORBIDDEN")
    open_pitch = published_pitch(runtime, creator, requiresNDA=False)
    error(nda_request(runtime, investor, open_pitch["id"]), 409, "NDA_NOT_REQUIRED")
    error(nda_request(runtime, investor, "no-such-pitch"), 404, "NOT_FOUND")
    first = ok(nda_request(runtime, investor, pitch["id"]), 201)
    error(nda_request(runtime, investor, pitch["id"]), 409, "NDA_EXISTS")
    assert ok(runtime.client.get(f"/api/ndas/can-request/{pitch['id']}", headers=investor.headers)) == {
        "canRequest": False,
        "reason": "NDA_EXISTS",
    }
    incoming = ok(runtime.client.get("/api/ndas/incoming-requests?status=pending", headers=creator.headers))
    assert first["id"] in [n["id"] for n in incoming]
    outgoing = ok(runtime.client.get("/api/ndas/outgoing-requests", headers=investor.headers))
    assert outgoing[0]["id"] == first["id"]
    error(
        runtime.client.get("/api/ndas/incoming-requests?status=nope", headers=creator.headers),
        400,
        "BAD_REQUEST",
    )


def test_only_the_owner_decides_and_only_once(runtime, people):
    creator, investor, stranger = people["creator"], people["investor"], people["stranger"]
    pitch = published_pitch(runtime, creator)
    nda = ok(nda_request(runtime, investor, pitch["id"]), 201)
    for who in (investor, stranger):
        error(nda_action(runtime, who, nda["id"], "approve"), 404, "NOT_FOUND")
        error(runtime.client.get(f"/api/ndas/{nda['id']}", headers=stranger.headers), 404, "NOT_FOUND")
    ok(nda_action(runtime, creator, nda["id"], "approve"))
    error(nda_action(runtime, creator, nda["id"], "approve"), 409, "INVALID_TRANSITION")
    error(nda_action(runtime, creator, nda["id"], "reject"), 409, "INVALID_TRANSITION")
    error(
        nda_action(runtime, investor, nda["id"], "sign", {"signerName": "M", "accept": False}),
        422,
        "VALIDATION_ERROR",
    )


def test_approve_and_reject_racing_have_one_winner(runtime, people):
    creator, production = people["creator"], people["production"]
    pitch = published_pitch(runtime, creator)
    nda = ok(nda_request(runtime, production, pitch["id"]), 201)
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(
            pool.map(lambda action: nda_action(runtime, creator, nda["id"], action), ["approve", "reject"])
        )
    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = next(a for a in answers if a.status_code == 200).json()["data"]["status"]
    assert nda_get(runtime, creator, nda["id"])["status"] == winner
    expected = "nda_approved" if winner == "approved" else "nda_rejected"
    wait_for(lambda: notified(runtime, production, expected, nda["id"]))
