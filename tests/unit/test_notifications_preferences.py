"""GET|PUT /api/notifications/preferences and the unsubscribe link."""

from __future__ import annotations

import pytest

from pitchey.notifications.emails import unsubscribe_token
from tests.events import call, http_event, load_handler
from tests.unit.accounts import make_user

get_handler = load_handler("notifications/get_preferences")
put_handler = load_handler("notifications/put_preferences")
unsubscribe_handler = load_handler("notifications/unsubscribe")

# API.md's defaults, written out so the test checks the code against the contract.
DEFAULTS = dict(nda="instant", investment="instant", message="instant", pitch="daily", digest="weekly")


def get(user):
    return call(get_handler, http_event("GET", "/api/notifications/preferences", token=user.token))


def put(user, body=None, raw=None):
    event = http_event("PUT", "/api/notifications/preferences", token=user.token, body=body, raw_body=raw)
    return call(put_handler, event)


def test_defaults(aws):
    answer = get(make_user("investor"))
    assert answer.status == 200
    assert answer.data == {"email": DEFAULTS}


def test_put_merges_categories_not_sent_keep_their_value(aws):
    alice, bob = make_user("investor"), make_user("investor")
    first = put(alice, {"email": {"pitch": "weekly", "nda": "never"}})
    assert first.status == 200
    assert first.data == {"email": {**DEFAULTS, "pitch": "weekly", "nda": "never"}}
    second = put(alice, {"email": {"message": "daily"}})
    assert second.data == {"email": {**DEFAULTS, "pitch": "weekly", "nda": "never", "message": "daily"}}
    assert get(alice).data == second.data
    assert get(bob).data == {"email": DEFAULTS}
    assert put(alice, {}).data == second.data
    assert put(alice, {"email": {}}).data == second.data


@pytest.mark.parametrize(
    "body",
    [
        {"email": {"nda": "hourly"}},
        {"email": {"nda": None}},
        {"email": {"nda": 1}},
        {"email": {"marketing": "weekly"}},
        {"email": {"nda": "instant", "sms": "never"}},
        {"push": {"nda": "instant"}},
        {"email": "instant"},
        {"email": None},
        [],
    ],
)
def test_invalid_values_or_unknown_keys_are_422(aws, body):
    alice = make_user("investor")
    answer = put(alice, body)
    assert answer.status == 422 and answer.code == "VALIDATION_ERROR"
    assert get(alice).data == {"email": DEFAULTS}


def test_bad_json_is_400(aws):
    assert put(make_user("investor"), raw="{nope").status == 400


def test_unauthenticated_is_401(aws):
    assert call(get_handler, http_event("GET", "/api/notifications/preferences")).status == 401


def test_unsubscribe_link_turns_the_category_off(aws):
    alice = make_user("investor")
    token = unsubscribe_token(alice.id, "nda")
    answer = call(
        unsubscribe_handler, http_event("POST", "/api/notifications/unsubscribe", query={"token": token})
    )
    assert answer.status == 200
    assert answer.data["unsubscribed"] == "nda"
    assert get(alice).data == {"email": {**DEFAULTS, "nda": "never"}}


@pytest.mark.parametrize("token", [None, "", "abc", "eyJ1IjoieCIsImMiOiJuZGEifQ.AAAA"])
def test_unsubscribe_with_a_bad_token_is_400(aws, token):
    query = {"token": token} if token is not None else None
    answer = call(unsubscribe_handler, http_event("GET", "/api/notifications/unsubscribe", query=query))
    assert answer.status == 400


def test_an_unsubscribe_token_cannot_be_retargeted(aws):
    alice, bob = make_user("investor"), make_user("investor")
    _, mac = unsubscribe_token(alice.id, "nda").split(".")
    other_payload, _ = unsubscribe_token(bob.id, "nda").split(".")
    forged = f"{other_payload}.{mac}"
    answer = call(
        unsubscribe_handler, http_event("POST", "/api/notifications/unsubscribe", query={"token": forged})
    )
    assert answer.status == 400
    assert get(bob).data == {"email": DEFAULTS}
