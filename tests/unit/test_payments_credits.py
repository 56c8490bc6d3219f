"""Credits: the price list, StarterCredits at registration, the spend hook in media upload and NDA request
(charged with the action, only when it succeeds), the 50-way race, and the balance/ledger reads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from pitchey.ndas.models import Nda
from pitchey.payments.models import CreditAccount, LedgerEntry
from pitchey.pitches.models import Pitch
from tests.auth_support import register
from tests.events import call, http_event, load_handler
from tests.unit.accounts import make_user
from tests.unit.pitches_support import create_pitch, hit
from tests.unit.test_ndas_support import api as nda_api

pytest_plugins = ("tests.unit.test_ndas_support",)  # fixtures: cast, make_pitch


@pytest.fixture
def nda_state_machine(aws, monkeypatch, setenv) -> None:
    """The NDA state machine in moto (its own name: investments' support has a `state_machine` too)."""
    import boto3

    from tests.unit.test_ndas_support import substituted_definition

    arn = boto3.client("stepfunctions").create_state_machine(
        name="pitchey-test-nda-payments",
        definition=substituted_definition(),
        roleArn="arn:aws:iam::123456789012:role/nda-state-machine",
        type="STANDARD",
    )["stateMachineArn"]
    setenv("NDA_STATE_MACHINE_ARN", arn)


MB = 1024 * 1024


def set_balance(user_id: str, balance: int, tier: str = "free") -> None:
    CreditAccount.get(user_id).update(
        actions=[CreditAccount.balance.set(balance), CreditAccount.tier.set(tier)]
    )


def balance_of(actor) -> dict:
    answer = hit("payments/credits_balance", "GET", "/api/payments/credits/balance", actor)
    assert answer.status == 200, answer.body
    return answer.data


def ledger_of(actor, **query) -> list[dict]:
    answer = hit("payments/credits_ledger", "GET", "/api/payments/credits/ledger", actor, query=query or None)
    assert answer.status == 200, answer.body
    return answer.data


def upload(actor, pitch_id, **overrides):
    body = {"fileName": "poster.png", "contentType": "image/png", "sizeBytes": 2 * MB, "kind": "image"}
    return hit(
        "pitches/media_upload",
        "POST",
        f"/api/pitches/{pitch_id}/media",
        actor,
        body={**body, **overrides},
        path_params={"id": pitch_id},
    )


def test_plans_are_the_one_price_list(aws):
    answer = call(load_handler("payments/plans"), http_event("GET", "/api/payments/plans"))
    assert answer.status == 200
    data = answer.data
    assert data["currency"] == "EUR"
    assert data["costs"] == {"ndaRequest": 10, "mediaUpload": 10, "message": 2}
    tiers = {t["tier"]: t for t in data["tiers"]}
    assert tiers["free"] == {
        "tier": "free",
        "portal": None,
        "monthlyCents": 0,
        "yearlyCents": 0,
        "creditsPerMonth": 0,
    }
    assert tiers["creator_plus"] == {
        "tier": "creator_plus",
        "portal": "creator",
        "monthlyCents": 2999,
        "yearlyCents": 29900,
        "creditsPerMonth": 30,
    }
    assert (
        tiers["exec_unlimited"]["creditsPerMonth"] is None and tiers["exec_unlimited"]["portal"] == "investor"
    )
    assert len(tiers) == 9
    packs = {p["pack"]: p for p in data["packs"]}
    assert packs["pack30"] == {"pack": "pack30", "credits": 30, "bonusCredits": 10, "priceCents": 2999}
    assert [p["priceCents"] for p in data["packs"]] == [299, 899, 1499, 2999]


def test_registration_grants_starter_credits_with_a_ledger_entry(aws, monkeypatch, setenv):
    setenv("STARTER_CREDITS", "25")
    answer = register("investor", email="starter@example.com", username="starter")
    assert answer.status == 201
    user = type("U", (), {"token": answer.data["accessToken"]})
    assert balance_of(user) == {"balance": 25, "lifetimePurchased": 0, "lifetimeUsed": 0, "unlimited": False}
    [entry] = ledger_of(user)
    assert entry["delta"] == 25 and entry["reason"] == "starter" and entry["balanceAfter"] == 25
    assert entry["createdAt"].endswith("Z")


def test_a_failed_registration_opens_no_account(aws):
    assert register("creator", email="dup@example.com", username="first").status == 201
    assert register("creator", email="DUP@example.com", username="second").status == 409
    assert CreditAccount.count() == 1


def test_a_media_upload_costs_ten_credits_when_its_url_is_issued(aws):
    owner = make_user()
    set_balance(owner.id, 10)
    pitch = create_pitch(owner)
    first = upload(owner, pitch["id"])
    assert first.status == 201
    assert balance_of(owner)["balance"] == 0 and balance_of(owner)["lifetimeUsed"] == 10
    entry = ledger_of(owner)[0]
    assert (entry["delta"], entry["reason"], entry["referenceId"], entry["balanceAfter"]) == (
        -10,
        "media_upload",
        first.data["mediaId"],
        0,
    )
    second = upload(owner, pitch["id"])
    assert second.status == 402 and second.code == "INSUFFICIENT_CREDITS"
    assert len(Pitch.get(pitch["id"]).media) == 1  # the refused upload left no record


def test_a_request_that_fails_anyway_costs_nothing(aws, monkeypatch):
    owner, other = make_user(), make_user()
    set_balance(owner.id, 30)
    pitch = create_pitch(owner)
    assert upload(owner, pitch["id"], contentType="application/x-msdownload").status == 422
    assert upload(other, pitch["id"]).status == 404
    from pitchey.pitches import rules

    monkeypatch.setattr(rules, "MAX_MEDIA_PER_PITCH", 1)
    assert upload(owner, pitch["id"]).status == 201
    full = upload(owner, pitch["id"])
    assert full.status == 409 and full.code == "MEDIA_LIMIT_REACHED"
    set_balance(owner.id, 0)
    assert upload(owner, pitch["id"]).code == "MEDIA_LIMIT_REACHED"  # the 409 wins over 402, free
    assert balance_of(owner)["balance"] == 0
    assert [e["reason"] for e in ledger_of(owner)].count("media_upload") == 1


def test_unlimited_tiers_upload_for_free(aws):
    owner = make_user()
    set_balance(owner.id, 0, tier="creator_unlimited")
    pitch = create_pitch(owner)
    assert upload(owner, pitch["id"]).status == 201
    assert balance_of(owner) | {"lifetimePurchased": 0} == {
        "balance": 0,
        "lifetimePurchased": 0,
        "lifetimeUsed": 0,
        "unlimited": True,
    }


def test_fifty_parallel_uploads_on_a_balance_for_ten_succeed_exactly_ten_times(aws):
    owner = make_user()
    set_balance(owner.id, 100)
    pitch = create_pitch(owner)
    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda _: upload(owner, pitch["id"]), range(50)))
    statuses = sorted(a.status for a in answers)
    assert statuses == [201] * 10 + [402] * 40, statuses
    account = CreditAccount.get(owner.id, consistent_read=True)
    assert account.balance == 0 and account.lifetime_used == 100
    debits = [e for e in LedgerEntry.query(owner.id) if e.reason == "media_upload"]
    assert len(debits) == 10
    assert sorted(e.balance_after for e in debits) == list(range(0, 100, 10))  # each exact, none below zero
    assert len(Pitch.get(pitch["id"]).media) == 10


def test_an_nda_request_costs_ten_and_a_short_balance_is_402_with_no_nda(cast, make_pitch, nda_state_machine):
    pitch_id = make_pitch(cast.creator, requires_nda=True)
    other_pitch = make_pitch(cast.creator, requires_nda=True, title="Second")
    set_balance(cast.investor.id, 10)
    first = nda_api("request", cast.investor, body={"pitchId": pitch_id})
    assert first.status == 201, first.body
    assert balance_of(cast.investor)["balance"] == 0
    assert ledger_of(cast.investor)[0]["referenceId"] == first.data["id"]
    short = nda_api("request", cast.investor, body={"pitchId": other_pitch})
    assert short.status == 402 and short.code == "INSUFFICIENT_CREDITS"
    assert [n.pitch_id for n in Nda.scan()] == [pitch_id]
    again = nda_api("request", cast.investor, body={"pitchId": pitch_id})  # 409 wins over 402, and is free
    assert again.status == 409 and again.code == "NDA_EXISTS"
    assert nda_api("request", cast.investor, body={"pitchId": "nope"}).status == 404
    assert balance_of(cast.investor)["balance"] == 0


def test_the_ledger_pages_newest_first_with_a_cursor(aws):
    owner = make_user()
    pitch = create_pitch(owner)
    for _ in range(3):
        assert upload(owner, pitch["id"]).status == 201
    first = hit("payments/credits_ledger", "GET", "/api/payments/credits/ledger", owner, query={"limit": "2"})
    assert [e["reason"] for e in first.data] == ["media_upload", "media_upload"]
    cursor = first.body["metadata"]["nextCursor"]
    second = hit(
        "payments/credits_ledger",
        "GET",
        "/api/payments/credits/ledger",
        owner,
        query={"limit": "2", "cursor": cursor},
    )
    assert [e["reason"] for e in second.data] == ["media_upload", "purchase"]
    assert second.body["metadata"]["nextCursor"] is None and second.body["metadata"]["page"] == 2
    bad = hit(
        "payments/credits_ledger", "GET", "/api/payments/credits/ledger", owner, query={"cursor": "forged"}
    )
    assert bad.status == 400


def test_there_is_no_way_for_a_client_to_choose_a_price(aws):
    owner = make_user()
    purchase = hit(
        "payments/stripe/credits_purchase",
        "POST",
        "/api/payments/credits/purchase",
        owner,
        body={"pack": "pack10", "paymentMethodId": "pm_card_visa", "amountCents": 1},
    )
    assert purchase.status == 422
    unknown = hit(
        "payments/stripe/credits_purchase",
        "POST",
        "/api/payments/credits/purchase",
        owner,
        body={"pack": "pack1000", "paymentMethodId": "pm_card_visa"},
    )
    assert unknown.status == 422 and unknown.body["error"]["details"][0]["field"] == "pack"
