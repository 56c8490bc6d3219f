"""GET /api/users/{id} (public profile, no email) and PUT /api/users/me (the editable fields only)."""

from __future__ import annotations

import pytest

from pitchey.core.audit import AuditEntry
from pitchey.users.models import User
from tests.auth_support import authed, handler, me, register
from tests.events import call, http_event


@pytest.fixture
def alice(aws):
    return register("creator", email="alice@example.com", firstName="Alice", bio="Writes thrillers").data


@pytest.fixture
def bob(aws):
    return register("investor", email="bob@example.com", username="bob", companyName="Bob Capital").data


def profile(token: str, user_id: str, **kwargs):
    return authed("users/get", "GET", f"/api/users/{user_id}", token, path_params={"id": user_id}, **kwargs)


def update(token: str, body, **kwargs):
    return authed("users/update_me", "PUT", "/api/users/me", token, body=body, **kwargs)


def test_another_users_profile_has_no_email(alice, bob):
    answer = profile(alice["accessToken"], bob["user"]["id"])
    assert answer.status == 200
    private = {"email", "emailVerified", "mfaEnabled"}  # how an account is secured is its owner's business
    expected = {k: v for k, v in bob["user"].items() if k not in private}
    assert answer.data == expected
    assert "email" not in answer.data and "bob@example.com" not in str(answer.body)
    assert "passwordHash" not in answer.data


def test_own_profile_by_id_is_public_too_and_me_is_full(alice):
    assert "email" not in profile(alice["accessToken"], alice["user"]["id"]).data
    assert profile(alice["accessToken"], "me").data == alice["user"]
    assert me(alice["accessToken"]).data == alice["user"]


@pytest.mark.parametrize("user_id", ["0" * 32, "nope", "x" * 3000])
def test_unknown_user_is_404(alice, user_id):
    answer = profile(alice["accessToken"], user_id)
    assert answer.status == 404 and answer.code == "NOT_FOUND"


def test_profiles_need_a_token(alice):
    answer = call(handler("users/get"), http_event("GET", "/api/users/x", path_params={"id": "x"}))
    assert answer.status == 401


def test_partial_update_changes_only_what_is_sent(alice):
    answer = update(alice["accessToken"], {"lastName": "Smith", "avatarUrl": "https://cdn.example.com/a.png"})
    assert answer.status == 200
    user = answer.data
    assert user["lastName"] == "Smith" and user["avatarUrl"] == "https://cdn.example.com/a.png"
    assert user["firstName"] == "Alice" and user["bio"] == "Writes thrillers"
    assert user["email"] == "alice@example.com" and user["userType"] == "creator"
    assert me(alice["accessToken"]).data == user
    stored = User.get(alice["user"]["id"])
    assert stored.updated_at >= stored.created_at


def test_null_or_empty_clears_a_field(alice):
    user = update(alice["accessToken"], {"bio": None, "firstName": ""}).data
    assert user["bio"] is None and user["firstName"] is None


def test_empty_update_changes_nothing(alice):
    assert update(alice["accessToken"], {}).data == alice["user"]


@pytest.mark.parametrize(
    "field",
    ["email", "userType", "id", "subscriptionTier", "password", "passwordHash", "username", "createdAt"],
)
def test_other_fields_are_422(alice, field):
    answer = update(alice["accessToken"], {"bio": "new", field: "x"})
    assert answer.status == 422 and answer.code == "VALIDATION_ERROR"
    assert answer.body["error"]["details"] == [{"field": field, "message": "Unknown or read-only field"}]
    assert me(alice["accessToken"]).data["bio"] == "Writes thrillers"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://example.com/a.png", "not a url", "https://", "//cdn.example.com/a"]
)
def test_avatar_url_must_be_http(alice, url):
    answer = update(alice["accessToken"], {"avatarUrl": url})
    assert answer.status == 422 and answer.body["error"]["details"][0]["field"] == "avatarUrl"


@pytest.mark.parametrize(
    ("field", "limit"), [("firstName", 100), ("lastName", 100), ("companyName", 200), ("bio", 2000)]
)
def test_length_limits(alice, field, limit):
    assert update(alice["accessToken"], {field: "x" * limit}).status == 200
    answer = update(alice["accessToken"], {field: "x" * (limit + 1)})
    assert answer.status == 422 and answer.body["error"]["details"][0]["field"] == field


def test_bad_bodies(alice):
    assert update(alice["accessToken"], {"bio": 5}).status == 422
    assert update(alice["accessToken"], ["bio"]).status == 422
    event = http_event("PUT", "/api/users/me", raw_body="{bio", token=alice["accessToken"])
    assert call(handler("users/update_me"), event).status == 400


def test_profile_update_is_audited(alice):
    update(alice["accessToken"], {"bio": "Now comedies"}, user_agent="Edge/1")
    entry = next(e for e in AuditEntry.query(alice["user"]["id"]) if e.action == "user.profile_update")
    assert entry.user_agent == "Edge/1" and entry.ip_address and '"bio"' in entry.details
