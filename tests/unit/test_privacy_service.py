"""Privacy rules: exports are the caller's own and hold no secrets nor other people's data; deletion needs
the password, ends the sessions, is cancelled by a login, and erasure anonymises idempotently."""

from __future__ import annotations

import io
import json
import urllib.parse
import zipfile

import pytest

from pitchey.core import clock
from pitchey.core.audit import AuditEntry
from pitchey.privacy import erasure, export
from pitchey.privacy.models import Export
from pitchey.users.models import User, email_digest
from tests.auth_support import PASSWORD, authed, login, me, register

ALICE, BOB = "alice.privacy@example.com", "bob.privacy@example.com"


@pytest.fixture
def alice(aws):
    return register("creator", email=ALICE, username="alice_p", firstName="Alice", lastName="Liddell").data


@pytest.fixture
def bob(aws):
    return register("investor", email=BOB, username="bob_p").data


def request_export(token: str):
    return authed("privacy/export", "POST", "/api/users/me/export", token, body={})


def export_status(token: str, export_id: str):
    return authed(
        "privacy/export",
        "GET",
        f"/api/users/me/export/{export_id}",
        token,
        path_params={"exportId": export_id},
    )


def delete_me(token: str, password: str = PASSWORD):
    return authed("privacy/delete_account", "DELETE", "/api/users/me", token, body={"password": password})


def follow(token: str, user_id: str):
    return authed(
        "follows/follow", "POST", "/api/follows", token, body={"targetType": "user", "targetId": user_id}
    )


def zip_files(export_id: str) -> dict[str, str]:
    import boto3

    job = Export.get(export_id)
    body = boto3.client("s3").get_object(Bucket="privacyexportsbucket", Key=job.object_key)["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def test_export_is_a_job_whose_zip_is_the_callers_own(alice, bob):
    assert follow(alice["accessToken"], bob["user"]["id"]).status == 201
    assert follow(bob["accessToken"], alice["user"]["id"]).status == 201
    answer = request_export(alice["accessToken"])
    assert answer.status == 202
    export_id = answer.data["exportId"]
    assert export_status(alice["accessToken"], export_id).data == {"exportId": export_id, "status": "pending"}
    assert export_status(bob["accessToken"], export_id).status == 404  # someone else's: not found

    export.build(export_id)
    ready = export_status(alice["accessToken"], export_id).data
    assert ready["status"] == "ready"
    query = urllib.parse.parse_qs(urllib.parse.urlparse(ready["downloadUrl"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 900
    assert export_status(bob["accessToken"], export_id).status == 404

    files = zip_files(export_id)
    assert {"manifest.json", "profile.json", "sessions.json", "follows.json", "audit.json"} <= set(files)
    profile = json.loads(files["profile.json"])["UsersTable"][0]
    assert profile["email"] == ALICE and profile["firstName"] == "Alice"
    everything = "".join(files.values())
    for secret in ("passwordHash", "refreshHash", "usedRefreshHashes", "secretHash"):
        assert secret not in everything
    assert BOB not in everything and "bob_p" not in everything
    follows = json.loads(files["follows.json"])["FollowsTable"]
    assert {f["followerId"] for f in follows} == {alice["user"]["id"], bob["user"]["id"]}


def test_an_unknown_export_is_404(alice):
    assert export_status(alice["accessToken"], "nope").status == 404


def test_deletion_needs_the_password_and_ends_every_session(alice, setenv):
    setenv("ACCOUNT_DELETION_GRACE_SECONDS", "3600")
    assert delete_me(alice["accessToken"], "wrong-password").status == 401
    assert delete_me(alice["accessToken"], "wrong-password").body["error"]["code"] == "INVALID_PASSWORD"
    answer = delete_me(alice["accessToken"])
    assert answer.status == 202
    due = clock.from_iso(answer.data["deletionScheduledAt"])
    assert 3590 <= (due - clock.now()).total_seconds() <= 3600
    assert me(alice["accessToken"]).status == 401
    assert User.get(alice["user"]["id"]).deletion_scheduled_at == answer.data["deletionScheduledAt"]


def test_a_login_during_the_grace_cancels_the_deletion(alice, setenv):
    setenv("ACCOUNT_DELETION_GRACE_SECONDS", "0")
    assert delete_me(alice["accessToken"]).status == 202
    assert login("creator", ALICE).status == 200
    user = User.get(alice["user"]["id"])
    assert user.deletion_scheduled_at is None and user.deletion_queue is None
    assert erasure.run_due() == {"erased": 0}
    assert User.get(alice["user"]["id"]).email == ALICE


def test_erasure_anonymises_and_is_idempotent(alice, bob, setenv):
    setenv("ACCOUNT_DELETION_GRACE_SECONDS", "0")
    assert login("creator", ALICE, "not-the-password", ip="10.200.0.9").status == 401
    assert follow(alice["accessToken"], bob["user"]["id"]).status == 201
    assert follow(bob["accessToken"], alice["user"]["id"]).status == 201
    assert delete_me(alice["accessToken"]).status == 202
    assert erasure.run_due() == {"erased": 1}

    user = User.get(alice["user"]["id"])
    assert (user.username, user.first_name, user.last_name, user.status) == (
        "deleted user",
        None,
        None,
        "deleted",
    )
    assert user.email == f"deleted-{user.id}@deleted.invalid"
    entries = list(AuditEntry.query(alice["user"]["id"])) + list(
        AuditEntry.by_target.query(f"user#{user.id}")
    )
    assert entries and all(
        e.ip_address is None and e.user_agent is None for e in entries if e.actor_id == user.id
    )
    assert not list(AuditEntry.by_target.query(f"email#{email_digest(ALICE)}"))
    for entry in AuditEntry.scan():
        assert ALICE not in json.dumps(entry.attribute_values, default=str)
    steps = [
        e.action for e in AuditEntry.by_target.query(f"user#{user.id}") if e.actor_id == "system:erasure"
    ]
    assert "account.erasure.profile" in steps and "account.erasure.follows" in steps
    assert login("creator", ALICE).status == 401
    assert register("creator", email=ALICE, username="alice_again").status == 201  # the email is free

    before = {e.sk for e in AuditEntry.scan()}
    erased_before = User.get(user.id).attribute_values
    assert erasure.erase(user.id) is True  # a re-run finishes nothing new and breaks nothing
    after = User.get(user.id).attribute_values
    assert {k: v for k, v in after.items() if k != "erased_at"} == {
        k: v for k, v in erased_before.items() if k != "erased_at"
    }
    new = [e for e in AuditEntry.scan() if e.sk not in before]
    assert all(json.loads(e.details)["count"] == 0 for e in new if e.action != "account.erasure.profile")
    assert erasure.run_due() == {"erased": 0}


def test_failed_logins_are_audited_by_the_emails_digest_not_the_address(alice):
    assert login("creator", ALICE.upper(), "not-the-password").status == 401
    (entry,) = AuditEntry.by_target.query(f"email#{email_digest(ALICE)}")
    assert entry.action == "auth.login_failure" and ALICE not in json.dumps(entry.attribute_values)


def test_exports_are_limited_per_hour(alice):
    for _ in range(5):
        assert request_export(alice["accessToken"]).status == 202
    assert request_export(alice["accessToken"]).status == 429


def test_a_login_after_the_erasure_claimed_the_account_is_refused(alice, setenv):
    setenv("ACCOUNT_DELETION_GRACE_SECONDS", "0")
    assert delete_me(alice["accessToken"]).status == 202
    assert erasure._claim(alice["user"]["id"]) is not None  # the schedule got there first
    assert login("creator", ALICE).status == 401
    assert User.get(alice["user"]["id"]).deletion_scheduled_at  # not cancelled: the erasure goes on
    assert erasure.run_due() == {"erased": 1}
