"""NDA waits that time out, with the TTL template Parameters shortened through parameter overrides: the
state machine's TimeoutSecondsPath (from DefinitionSubstitutions) fires, the NDA becomes `expired`, both
parties are notified and the requester may ask again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.integration.accounts import register
from tests.integration.test_ndas_flow import (
    error,
    execution_status,
    nda_action,
    nda_get,
    nda_request,
    notified,
    ok,
    published_pitch,
    wait_for,
)

pytestmark = pytest.mark.integration

REQUEST_TTL, SIGNATURE_TTL = 6, 4
RUNTIME_OVERRIDES = {
    "NdaRequestTtlSeconds": str(REQUEST_TTL),
    "NdaSignatureTtlSeconds": str(SIGNATURE_TTL),
}


def seconds_until(iso_text: str) -> float:
    return (datetime.fromisoformat(iso_text.replace("Z", "+00:00")) - datetime.now(UTC)).total_seconds()


@pytest.fixture(scope="module")
def people(runtime):
    return {
        "creator": register(runtime, "creator", "Ada", "Creator", "Tidewater Films"),
        "investor": register(runtime, "investor", "Ben", "Investor"),
    }


def test_an_undecided_request_expires_and_both_parties_hear_of_it(runtime, people):
    creator, investor = people["creator"], people["investor"]
    pitch = published_pitch(runtime, creator)
    nda = ok(nda_request(runtime, investor, pitch["id"]), 201)
    assert 0 < seconds_until(nda["expiresAt"]) <= REQUEST_TTL + 1
    expired = wait_for(lambda: (n := nda_get(runtime, investor, nda["id"]))["status"] == "expired" and n, 60)
    assert expired["decidedAt"] is None
    wait_for(lambda: execution_status(runtime, nda["id"]) == "SUCCEEDED")
    assert notified(runtime, creator, "nda_expired", nda["id"])
    assert notified(runtime, investor, "nda_expired", nda["id"])
    error(nda_action(runtime, creator, nda["id"], "approve"), 409, "INVALID_TRANSITION")
    # The expired request no longer blocks a new one.
    assert nda_request(runtime, investor, pitch["id"]).status_code == 201


def test_an_unsigned_approval_expires(runtime, people):
    creator, investor = people["creator"], people["investor"]
    pitch = published_pitch(runtime, creator)
    nda = ok(nda_request(runtime, investor, pitch["id"]), 201)
    approved = ok(nda_action(runtime, creator, nda["id"], "approve"))
    assert 0 < seconds_until(approved["expiresAt"]) <= SIGNATURE_TTL + 1
    wait_for(lambda: nda_get(runtime, investor, nda["id"])["status"] == "expired", 60)
    wait_for(lambda: execution_status(runtime, nda["id"]) == "SUCCEEDED")
    assert notified(runtime, investor, "nda_expired", nda["id"])
    assert notified(runtime, creator, "nda_expired", nda["id"])
    answer = nda_action(runtime, investor, nda["id"], "sign", {"signerName": "Ben Investor", "accept": True})
    error(answer, 409, "INVALID_TRANSITION")
    hidden = ok(runtime.client.get(f"/api/pitches/{pitch['id']}", headers=investor.headers))
    assert "longSynopsis" not in hidden
