"""The sample events in events/auth and events/users drive their handlers (placeholders filled in)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.auth_support import authorize, handler
from tests.events import Answer, call

EVENTS = Path(__file__).resolve().parents[2] / "events"


def run(name: str, values: dict[str, str]) -> Answer:
    text = (EVENTS / f"{name}.json").read_text()
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    event = json.loads(text)
    if "authorizer" in event["requestContext"]:  # what the gateway would pass for this token
        token = event["headers"]["authorization"].removeprefix("Bearer ")
        event["requestContext"]["authorizer"]["lambda"] = authorize(token)["context"]
    return call(handler(name), event)


def test_sample_events_run(aws):
    registered = run("auth/register", {})
    assert registered.status == 201
    grant = run("auth/login", {})
    assert grant.status == 200
    values = {
        "<access token from POST /api/auth/creator/login>": grant.data["accessToken"],
        "<refreshToken from login or register>": registered.data["refreshToken"],
        "<user id>": grant.data["user"]["id"],
        "<session id>": registered.data["refreshToken"].split(".")[0],
    }
    token = grant.data["accessToken"]
    text = (EVENTS / "auth/authorizer.json").read_text()
    authorizer_event = json.loads(text.replace("<access token from POST /api/auth/creator/login>", token))
    assert handler("auth/authorizer")(authorizer_event, None)["context"]["userId"] == values["<user id>"]
    for name in ("auth/refresh", "auth/me", "auth/sessions", "users/get", "users/update_me"):
        assert run(name, values).status == 200, name
    assert run("auth/revoke_session", values).status == 200
    assert run("auth/logout", values).status == 200
    assert run("auth/logout_all", values).status == 401  # the session just logged out
