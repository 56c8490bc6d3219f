"""Privacy (GDPR) through the local runtime: the export job's zip, and account deletion followed by the
erasure schedule, after which a Scan of every table and every index of the template finds no name, email
or IP of the deleted users. The deleted users call from their own loopback addresses (127.0.0.21/22), so
their IPs are theirs alone."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from local.template import load_template
from local.testing import RuntimeProcess
from tests.integration.accounts import PASSWORD, Account, mailed_token

pytestmark = pytest.mark.integration

# Deletion falls due 2 s after it is asked for; investors move their own investments without paying.
RUNTIME_OVERRIDES = {"AccountDeletionGraceSeconds": "2", "InvestmentPaymentRequired": "false"}


@dataclass
class Person:
    account: Account
    client: httpx.Client
    ip: str
    username: str
    first: str
    last: str
    company: str

    @property
    def headers(self) -> dict[str, str]:
        return self.account.headers

    @property
    def identifiers(self) -> list[str]:
        email = self.account.email
        return [email, email.lower(), self.username, self.first, self.last, self.company, self.ip]


def ok(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()["data"]


def wait_for(predicate, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)
    return value


def person(runtime: RuntimeProcess, portal: str, ip: str) -> Person:
    """Registered, email verified and everything else done from `ip` (a loopback address of its own)."""
    client = httpx.Client(base_url=runtime.http, timeout=60, transport=httpx.HTTPTransport(local_address=ip))
    tag = uuid.uuid4().hex[:8]
    username, first, last, company = f"priv_{tag}", f"Quenby{tag}", f"Marchetti{tag}", f"Zephyrine{tag} Films"
    email = f"Priv.{tag}@Example.test"
    body = {"email": email, "password": PASSWORD, "username": username, "firstName": first, "lastName": last}
    data = ok(client.post(f"/api/auth/{portal}/register", json={**body, "companyName": company}), 201)
    token = mailed_token(runtime, email, "/api/auth/verify-email")
    ok(client.post("/api/auth/verify-email", json={"token": token}))
    account = Account(data["user"]["id"], data["accessToken"], email, f"{first} {last}")
    return Person(account, client, ip, username, first, last, company)


def pitch(who: Person, **fields: Any) -> dict[str, Any]:
    body = {
        "title": f"The Salt Road {uuid.uuid4().hex[:6]}",
        "logline": "Two smugglers and one map.",
        "genre": "drama",
        "format": "feature",
        "shortSynopsis": "A road, a map, a debt.",
        "longSynopsis": "For NDA signers only.",
        **fields,
    }
    created = ok(who.client.post("/api/pitches", json=body, headers=who.headers), 201)
    return ok(
        who.client.put(f"/api/pitches/{created['id']}", json={"status": "published"}, headers=who.headers)
    )


def signed_nda(creator: Person, requester: Person, pitch_id: str) -> str:
    nda = ok(
        requester.client.post("/api/ndas/request", json={"pitchId": pitch_id}, headers=requester.headers), 201
    )
    ok(creator.client.post(f"/api/ndas/{nda['id']}/approve", json={}, headers=creator.headers))
    sign = {"signerName": f"{requester.first} {requester.last}", "accept": True}
    ok(requester.client.post(f"/api/ndas/{nda['id']}/sign", json=sign, headers=requester.headers))
    return nda["id"]


def send(sender: Person, recipient: Person, text: str) -> str:
    body = {"recipientId": recipient.account.id, "body": text}
    return ok(sender.client.post("/api/messages/send", json=body, headers=sender.headers), 201)[
        "conversationId"
    ]


def notified(who: Person, kind: str) -> bool:
    return any(n["type"] == kind for n in ok(who.client.get("/api/notifications", headers=who.headers)))


@pytest.fixture(scope="module")
def world(runtime: RuntimeProcess) -> dict[str, Any]:
    """Creator D1 and investor D2 (both to be deleted) with data in every context; creator C stays."""
    d1 = person(runtime, "creator", "127.0.0.21")
    d2 = person(runtime, "investor", "127.0.0.22")
    c = person(runtime, "creator", "127.0.0.1")
    d1_secret = pitch(d1, requiresNDA=True, ndaType="basic")
    d1_fund = pitch(d1, requiresNDA=False, seekingInvestment=True, fundingGoalCents=50_000_000)
    c_secret = pitch(c, requiresNDA=True, ndaType="basic")
    ndas = [signed_nda(d1, d2, d1_secret["id"]), signed_nda(c, d2, c_secret["id"])]
    investment = ok(
        d2.client.post(
            "/api/investments", json={"pitchId": d1_fund["id"], "amountCents": 5_000_000}, headers=d2.headers
        ),
        201,
    )["investment"]
    ok(d2.client.post(f"/api/pitches/{c_secret['id']}/like", json={}, headers=d2.headers))
    # A credit pack through localstripe: D1 has a Stripe customer, which erasure deletes.
    purchase = {"pack": "pack10", "paymentMethodId": "pm_card_visa"}
    ok(d1.client.post("/api/payments/credits/purchase", json=purchase, headers=d1.headers), 201)
    for follower, target in ((d2, d1), (d2, c), (c, d2)):
        body = {"targetType": "user", "targetId": target.account.id}
        assert follower.client.post("/api/follows", json=body, headers=follower.headers).status_code == 201
    conversation = send(d2, c, "Hello from the salt road")
    send(c, d2, "Hello back")
    send(d2, d1, "And hello to you")
    wait_for(lambda: notified(c, "nda_signed") and notified(c, "message") and notified(c, "new_follower"))
    wait_for(lambda: notified(d1, "investment_created"))
    return {
        "d1": d1,
        "d2": d2,
        "c": c,
        "ndas": ndas,
        "investment": investment,
        "conversation": conversation,
        "pitches": [d1_secret["id"], d1_fund["id"]],
    }


def stripe_customers(runtime: RuntimeProcess, who: Person) -> list[str]:
    """The ids of the Stripe customers localstripe holds for the user."""
    listed = httpx.get(f"{runtime.stripe}/v1/customers", auth=("sk_test_privacy", ""), timeout=10).json()
    return [c["id"] for c in listed["data"] if (c.get("metadata") or {}).get("userId") == who.account.id]


def export_zip(who: Person) -> dict[str, Any]:
    export_id = ok(who.client.post("/api/users/me/export", json={}, headers=who.headers), 202)["exportId"]
    path = f"/api/users/me/export/{export_id}"
    ready = wait_for(lambda: (s := ok(who.client.get(path, headers=who.headers)))["status"] == "ready" and s)
    assert ready["expiresAt"] and "X-Amz-Expires=900" in ready["downloadUrl"]
    body = httpx.get(ready["downloadUrl"], timeout=30)
    assert body.status_code == 200
    with zipfile.ZipFile(io.BytesIO(body.content)) as archive:
        files = {name: json.loads(archive.read(name)) for name in archive.namelist()}
    return {"id": export_id, "files": files}


def test_the_export_zip_holds_a_file_per_area_and_nothing_of_anyone_else(runtime, world) -> None:
    d2, c, d1 = world["d2"], world["c"], world["d1"]
    export = export_zip(d2)
    assert c.client.get(f"/api/users/me/export/{export['id']}", headers=c.headers).status_code == 404
    files = export["files"]
    for area in (
        "profile",
        "sessions",
        "ndas",
        "investments",
        "messages",
        "notifications",
        "credits",
        "follows",
        "likes",
        "audit",
        "emails",
    ):
        assert f"{area}.json" in files, sorted(files)
    assert files["profile.json"]["UsersTable"][0]["email"] == d2.account.email
    assert {n["id"] for n in files["ndas.json"]["NdasTable"]} == set(world["ndas"])
    assert [i["id"] for i in files["investments.json"]["InvestmentsTable"]] == [world["investment"]["id"]]
    assert {m["body"] for m in files["messages.json"]["MessagesTable"]} == {
        "Hello from the salt road",
        "And hello to you",
    }
    assert files["credits.json"]["CreditLedgerTable"]
    assert any(s["ipAddress"] == d2.ip for s in files["sessions.json"]["SessionsTable"])
    text = json.dumps(files)
    for other in (c, d1):
        for value in other.identifiers[:-1]:  # everything but the IP (C's is the shared loopback)
            assert value not in text, (value, text[max(0, text.find(value) - 700) : text.find(value) + 100])
    assert d1.ip not in text
    for secret in ("passwordHash", "refreshHash", "secretHash", "TaskToken", "pendingToken"):
        assert secret not in text


def every_item(runtime: RuntimeProcess) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every item of every table and every GSI of the template (a test may Scan)."""
    dynamodb = runtime.boto3("dynamodb")
    for name, resource in load_template()["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        indexes = [None] + [i["IndexName"] for i in resource["Properties"].get("GlobalSecondaryIndexes", [])]
        for index in indexes:
            params: dict[str, Any] = {"TableName": name, **({"IndexName": index} if index else {})}
            for page in dynamodb.get_paginator("scan").paginate(**params):
                for item in page["Items"]:
                    yield f"{name}/{index or ''}", item


def test_deletion_then_erasure_leaves_no_name_email_or_ip(runtime, world) -> None:
    d1, d2, c = world["d1"], world["d2"], world["c"]
    export_zip(d1)  # an export to erase as well
    assert len(stripe_customers(runtime, d1)) == 1
    wrong = d1.client.request("DELETE", "/api/users/me", json={"password": "not-it"}, headers=d1.headers)
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "INVALID_PASSWORD"
    for who in (d1, d2):
        answer = who.client.request(
            "DELETE", "/api/users/me", json={"password": PASSWORD}, headers=who.headers
        )
        assert ok(answer, 202)["deletionScheduledAt"]
        assert who.client.get("/api/users/me", headers=who.headers).status_code == 401  # sessions ended
    time.sleep(2.5)
    first = runtime.run_schedule("AccountErasureSchedule")
    assert first["error"] is None and first["payload"] == {"erased": 2}, first
    again = runtime.run_schedule("AccountErasureSchedule")
    assert again["error"] is None and again["payload"] == {"erased": 0}, again
    assert stripe_customers(runtime, d1) == []  # erasure deleted it (its package ships stripe)

    found: dict[str, list[str]] = {}
    seen_c = False
    for where, item in every_item(runtime):
        text = json.dumps(item)
        seen_c = seen_c or c.account.email in text
        for who in (d1, d2):
            for value in who.identifiers:
                if value in text:
                    found.setdefault(value, []).append(f"{where}: {text[:300]}")
    assert seen_c, "the scan sees the kept user's data"
    assert found == {}

    # What stays: the legal records, the conversation (from "deleted user"), the archived pitches.
    login = d1.client.post("/api/auth/creator/login", json={"email": d1.account.email, "password": PASSWORD})
    assert login.status_code == 401
    conversation = ok(c.client.get(f"/api/messages/conversations/{world['conversation']}", headers=c.headers))
    names = {p["userId"]: p["username"] for p in conversation["participants"]}
    assert names[d2.account.id] == "deleted user"
    nda = ok(c.client.get(f"/api/ndas/{world['ndas'][1]}", headers=c.headers))
    assert nda["status"] == "signed" and not nda.get("signerName")
    for pitch_id in world["pitches"]:
        assert c.client.get(f"/api/pitches/{pitch_id}", headers=c.headers).status_code == 404
    again = d1.client.post(
        "/api/auth/creator/register",
        json={"email": d1.account.email, "password": PASSWORD, "username": "again"},
    )
    assert again.status_code == 201  # the email is free


def test_a_login_during_the_grace_cancels_the_deletion(runtime) -> None:
    who = person(runtime, "creator", "127.0.0.23")
    ok(who.client.request("DELETE", "/api/users/me", json={"password": PASSWORD}, headers=who.headers), 202)
    body = {"email": who.account.email, "password": PASSWORD}
    token = ok(who.client.post("/api/auth/creator/login", json=body))["accessToken"]
    time.sleep(2.5)
    assert runtime.run_schedule("AccountErasureSchedule")["payload"] == {"erased": 0}
    me = ok(who.client.get("/api/users/me", headers={"Authorization": f"Bearer {token}"}))
    assert me["email"] == who.account.email
