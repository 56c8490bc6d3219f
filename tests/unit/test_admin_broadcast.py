"""Broadcast: 202 at once; the stream-driven fan-out notifies every user page by page, exactly once."""

from __future__ import annotations

import pytest

from pitchey.admin import service
from pitchey.admin.models import BroadcastPage
from pitchey.notifications.models import Notification
from pitchey.users.models import DIRECTORY, User
from tests.unit.accounts import make_user
from tests.unit.pitches_support import hit


def in_directory(actor):
    User(actor.id).update(actions=[User.directory.set(DIRECTORY)])
    return actor


@pytest.fixture
def admin(aws):
    actor = in_directory(make_user("creator", username="boss"))
    User(actor.id).update(actions=[User.is_admin.set(True)])
    return actor


def run_stream() -> None:
    """What the BroadcastsTable stream does: each page not yet delivered runs once, in order."""
    while pending := [page for page in BroadcastPage.scan() if page.delivered is None]:
        for page in pending:
            service.fan_out_page(page)


def systems(user_id: str) -> list[Notification]:
    return [n for n in Notification.query(user_id) if n.type == "system"]


def test_broadcast_reaches_every_user_once_across_pages(admin, monkeypatch):
    monkeypatch.setattr(service, "BROADCAST_PAGE_SIZE", 2)
    crowd = [in_directory(make_user(role)) for role in ("creator", "investor", "production", "investor")]
    body = {"title": "Maintenance", "body": "Sunday 02:00 UTC"}
    answer = hit("admin/broadcast", "POST", "/api/admin/broadcast", admin, body=body)
    assert answer.status == 202 and answer.data["broadcastId"]
    run_stream()
    for actor in [admin, *crowd]:
        [notification] = systems(actor.id)
        assert (notification.title, notification.body) == ("Maintenance", "Sunday 02:00 UTC")
    assert len(list(BroadcastPage.query(answer.data["broadcastId"]))) == 3  # 5 users, 2 per page

    # A page run again (a stream retry) writes the same notifications and no second next page.
    first = BroadcastPage.get(answer.data["broadcastId"], 0)
    service.fan_out_page(first)
    assert len(systems(crowd[0].id)) == 1
    assert len(list(BroadcastPage.query(answer.data["broadcastId"]))) == 3


def test_broadcast_is_admin_only_and_validated(admin):
    someone = make_user("investor")
    body = {"title": "Hi", "body": "there"}
    assert hit("admin/broadcast", "POST", "/api/admin/broadcast", someone, body=body).status == 403
    assert hit("admin/broadcast", "POST", "/api/admin/broadcast", admin, body={"title": ""}).status == 422
