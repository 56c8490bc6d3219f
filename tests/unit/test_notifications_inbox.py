"""REST: GET /api/notifications, POST /{id}/read, POST /read-all, GET /unread-count."""

from __future__ import annotations

import pytest

from pitchey.notifications.models import Notification
from pitchey.notifications.service import notify
from tests.events import call, http_event, load_handler
from tests.unit.accounts import make_user
from tests.unit.notifications_support import revoke

list_handler = load_handler("notifications/list")
read_handler = load_handler("notifications/read")
read_all_handler = load_handler("notifications/read_all")
count_handler = load_handler("notifications/unread_count")


def listing(user, **query):
    return call(list_handler, http_event("GET", "/api/notifications", token=user.token, query=query or None))


def read(user, notification_id, body=None):
    event = http_event(
        "POST",
        f"/api/notifications/{notification_id}/read",
        token=user.token,
        path_params={"id": notification_id},
        body=body,
        route_key="POST /api/notifications/{id}/read",
    )
    return call(read_handler, event)


def read_all(user):
    return call(read_all_handler, http_event("POST", "/api/notifications/read-all", token=user.token))


def unread(user):
    answer = call(count_handler, http_event("GET", "/api/notifications/unread-count", token=user.token))
    assert answer.status == 200
    return answer.data["count"]


def seed(user, count):
    return [notify(user.id, "system", f"Note {n}", f"Body {n}", {"n": n}) for n in range(count)]


def test_list_newest_first_in_api_shape(aws):
    alice, bob = make_user("investor"), make_user("investor")
    notes = seed(alice, 3)
    notify(bob.id, "system", "Bob's", "not Alice's")
    answer = listing(alice)
    assert answer.status == 200
    assert [item["title"] for item in answer.data] == ["Note 2", "Note 1", "Note 0"]
    first = answer.data[0]
    assert first == {
        "id": notes[2].id,
        "type": "system",
        "title": "Note 2",
        "body": "Body 2",
        "data": {"n": 2},
        "read": False,
        "createdAt": first["createdAt"],
    }
    assert first["createdAt"].endswith("Z") and len(first["createdAt"]) == 20
    assert answer.body["metadata"] == {"page": 1, "limit": 20, "total": None, "nextCursor": None}


def test_pagination_with_cursor(aws):
    alice = make_user("investor")
    seed(alice, 7)
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        answer = listing(alice, **query)
        assert answer.status == 200
        seen += [item["title"] for item in answer.data]
        pages += 1
        cursor = answer.body["metadata"]["nextCursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [f"Note {n}" for n in range(6, -1, -1)]


def test_a_cursor_cannot_be_used_by_someone_else_or_forged(aws):
    alice, bob = make_user("investor"), make_user("investor")
    seed(alice, 3)
    cursor = listing(alice, limit="1").body["metadata"]["nextCursor"]
    assert listing(bob, limit="1", cursor=cursor).status == 400
    assert listing(alice, limit="1", cursor=cursor, unreadOnly="true").status == 400
    assert listing(alice, cursor="bm9wZQ").status == 400


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_bad_limit_is_400(aws, limit):
    assert listing(make_user("investor"), limit=limit).status == 400


def test_unread_only(aws):
    alice = make_user("investor")
    notes = seed(alice, 4)
    read(alice, notes[1].id)
    answer = listing(alice, unreadOnly="true")
    assert [item["title"] for item in answer.data] == ["Note 3", "Note 2", "Note 0"]
    assert all(item["read"] is False for item in answer.data)
    page = listing(alice, unreadOnly="true", limit="2")
    assert [item["title"] for item in page.data] == ["Note 3", "Note 2"]
    rest = listing(alice, unreadOnly="true", limit="2", cursor=page.body["metadata"]["nextCursor"])
    assert [item["title"] for item in rest.data] == ["Note 0"]
    assert rest.body["metadata"]["nextCursor"] is None
    assert len(listing(alice, unreadOnly="false").data) == 4
    assert listing(alice, unreadOnly="maybe").status == 400


def test_read_one_is_idempotent(aws):
    alice = make_user("investor")
    note = seed(alice, 1)[0]
    first = read(alice, note.id)
    assert first.status == 200
    assert first.data["id"] == note.id and first.data["read"] is True
    assert unread(alice) == 0
    again = read(alice, note.id, body={})
    assert again.status == 200 and again.data["read"] is True


def test_reading_someone_elses_or_unknown_notification_is_404(aws):
    alice, bob = make_user("investor"), make_user("investor")
    note = seed(alice, 1)[0]
    for notification_id in (note.id, "0" * 32, "nope", note.id[:-1] + "x"):
        answer = read(bob, notification_id)
        assert answer.status == 404 and answer.code == "NOT_FOUND"
    assert unread(alice) == 1


def test_read_rejects_a_malformed_body(aws):
    alice = make_user("investor")
    note = seed(alice, 1)[0]
    event = http_event("POST", "/x", token=alice.token, path_params={"id": note.id}, raw_body="{broken")
    assert call(read_handler, event).status == 400


def test_read_all_marks_each_once_and_returns_the_count(aws):
    alice, bob = make_user("investor"), make_user("investor")
    notes = seed(alice, 5)
    seed(bob, 2)
    read(alice, notes[0].id)
    answer = read_all(alice)
    assert answer.status == 200 and answer.data == {"count": 4}
    assert unread(alice) == 0
    assert unread(bob) == 2
    assert read_all(alice).data == {"count": 0}
    assert all(item["read"] for item in listing(alice).data)


def test_read_all_counts_only_what_it_marked_when_the_index_is_stale(aws, monkeypatch):
    """Another request (or the index lagging) may have read an item after it was listed: the conditional
    update does not count it again. (moto's in-process updates are not atomic across threads, so the race
    is staged rather than run in threads.)"""
    alice = make_user("investor")
    notes = seed(alice, 5)
    stale = list(Notification.unread_by_user.query(alice.id))
    read(alice, notes[3].id)
    read(alice, notes[4].id)
    monkeypatch.setattr(Notification.unread_by_user, "query", lambda *args, **kwargs: iter(stale))
    assert read_all(alice).data == {"count": 3}


def test_unread_count(aws):
    alice = make_user("investor")
    assert unread(alice) == 0
    notes = seed(alice, 3)
    assert unread(alice) == 3
    read(alice, notes[2].id)
    assert unread(alice) == 2


def test_everything_requires_a_live_session(aws):
    alice = make_user("investor")
    revoke(alice)
    assert listing(alice).status == 401
    assert read_all(alice).status == 401
    assert call(count_handler, http_event("GET", "/api/notifications/unread-count")).status == 401
