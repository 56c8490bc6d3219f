"""POST /api/auth/{portal}/register: accounts on the three portals, email uniqueness, input rules."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from pitchey.core.audit import AuditEntry
from pitchey.users.models import EmailClaim, User
from tests.auth_support import PASSWORD, handler, login, me, register
from tests.events import call, http_event

USER_FIELDS = {
    "id",
    "email",
    "username",
    "userType",
    "firstName",
    "lastName",
    "companyName",
    "bio",
    "avatarUrl",
    "subscriptionTier",
    "emailVerified",
    "mfaEnabled",
    "createdAt",
}


@pytest.mark.parametrize("portal", ["creator", "investor", "production"])
def test_register_on_each_portal_signs_the_user_in(aws, portal):
    answer = register(portal, email=f"{portal}@example.com", firstName="Ada", companyName="Acme")
    assert answer.status == 201
    data = answer.data
    assert set(data) == {"user", "accessToken", "refreshToken", "expiresIn"}
    assert set(data["user"]) == USER_FIELDS
    assert data["user"]["userType"] == portal
    assert data["user"]["email"] == f"{portal}@example.com"
    assert data["user"]["firstName"] == "Ada" and data["user"]["companyName"] == "Acme"
    assert data["user"]["lastName"] is None and data["user"]["subscriptionTier"] == "free"
    assert data["user"]["createdAt"].endswith("Z")
    assert data["expiresIn"] == 900
    assert "passw" not in json.dumps(answer.body).lower()
    assert me(data["accessToken"]).data["id"] == data["user"]["id"]


@pytest.mark.parametrize("portal", ["viewer", "admin", "Creator"])
def test_unknown_portal_is_404(aws, portal):
    answer = register(portal)
    assert answer.status == 404 and answer.code == "NOT_FOUND"
    assert not list(User.scan())


@pytest.mark.parametrize("again", ["alice@example.com", "ALICE@Example.COM", "  Alice@example.com "])
def test_duplicate_email_in_any_case_is_409_on_any_portal(aws, again):
    assert register("creator", email="alice@example.com").status == 201
    answer = register("investor", email=again, username="other")
    assert answer.status == 409 and answer.code == "EMAIL_TAKEN"
    assert len(list(User.scan())) == 1


def test_concurrent_registrations_of_one_email_create_exactly_one_account(aws):
    emails = ["race@example.com", "RACE@example.com", "Race@Example.com", "race@EXAMPLE.COM"] * 2
    with ThreadPoolExecutor(len(emails)) as pool:
        answers = list(pool.map(lambda email: register(email=email), emails))
    assert sorted(a.status for a in answers) == [201] + [409] * (len(emails) - 1)
    assert {a.code for a in answers if a.status == 409} == {"EMAIL_TAKEN"}
    users = list(User.scan())
    assert len(users) == 1
    assert [c.user_id for c in EmailClaim.scan()] == [users[0].id]


def test_password_is_stored_as_bcrypt_hash_at_the_configured_cost(aws):
    user_id = register().data["user"]["id"]
    stored = User.get(user_id).password_hash
    assert stored.startswith("$2b$04$") and PASSWORD not in stored


def test_long_multibyte_password_keeps_every_character(aws):
    password = "é1" * 64  # 128 characters, 192 bytes: more than bcrypt's 72 bytes
    assert register(password=password).status == 201
    assert login(password=password).status == 200
    assert login(password="é1" * 63 + "é2").status == 401


@pytest.mark.parametrize(
    "password",
    ["short1a", "abcdefghij", "1234567890", "a1" * 64 + "x", "        "],
)
def test_weak_password_is_422(aws, password):
    answer = register(password=password)
    assert answer.status == 422 and answer.code == "VALIDATION_ERROR"
    assert [d["field"] for d in answer.body["error"]["details"]] == ["password"]


@pytest.mark.parametrize("username", ["ab", "a" * 31, "has space", "dash-name", "émile", "", None, 42])
def test_bad_username_is_422(aws, username):
    answer = register(username=username)
    assert answer.status == 422 and answer.code == "VALIDATION_ERROR"
    assert [d["field"] for d in answer.body["error"]["details"]] == ["username"]


def test_usernames_are_display_names_not_unique(aws):
    assert register(email="a@example.com", username="same_name").status == 201
    assert register(email="b@example.com", username="same_name").status == 201


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@b", "a b@example.com", "@example.com", "x" * 250 + "@e.com"]
)
def test_invalid_email_is_422(aws, email):
    answer = register(email=email)
    assert answer.status == 422
    assert [d["field"] for d in answer.body["error"]["details"]] == ["email"]


def test_missing_fields_are_named(aws):
    event = http_event("POST", "/api/auth/creator/register", body={}, path_params={"portal": "creator"})
    answer = call(handler("auth/register"), event)
    assert answer.status == 422
    assert sorted(d["field"] for d in answer.body["error"]["details"]) == ["email", "password", "username"]


@pytest.mark.parametrize(
    "extra",
    [{"userType": "investor"}, {"role": "admin"}, {"subscriptionTier": "pro"}, {"id": "x"}, {"avatar": "y"}],
)
def test_unknown_or_server_owned_field_is_422(aws, extra):
    answer = register(**extra)
    assert answer.status == 422 and answer.code == "VALIDATION_ERROR"
    assert answer.body["error"]["details"][0]["field"] == next(iter(extra))
    assert not list(User.scan())


def test_profile_field_length_limits(aws):
    answer = register(bio="x" * 2001)
    assert answer.status == 422 and answer.body["error"]["details"][0]["field"] == "bio"


def test_non_json_body_is_400(aws):
    event = http_event(
        "POST", "/api/auth/creator/register", raw_body="email=a", path_params={"portal": "creator"}
    )
    answer = call(handler("auth/register"), event)
    assert answer.status == 400 and answer.code == "BAD_REQUEST"


def test_body_over_one_mib_is_413(aws):
    body = json.dumps({"email": "a@example.com", "password": PASSWORD, "username": "al", "bio": "x" * 2**20})
    event = http_event("POST", "/api/auth/creator/register", raw_body=body, path_params={"portal": "creator"})
    answer = call(handler("auth/register"), event)
    assert answer.status == 413 and answer.code == "PAYLOAD_TOO_LARGE"


def test_registration_is_audited_with_ip_and_user_agent(aws):
    user_id = register(ip="192.0.2.10", user_agent="Firefox/1").data["user"]["id"]
    entries = list(AuditEntry.query(user_id))
    assert [e.action for e in entries] == ["auth.register"]
    assert entries[0].ip_address == "192.0.2.10" and entries[0].user_agent == "Firefox/1"
