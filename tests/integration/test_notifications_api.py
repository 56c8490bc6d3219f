"""/api/notifications through the local runtime: history, read flags, preferences, email and digests."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from local.testing import RuntimeProcess
from tests.integration.accounts import inbox, register
from tests.integration.notifications_support import eventually, notify_on


def test_an_offline_user_finds_the_notification_in_history(runtime: RuntimeProcess) -> None:
    alice = register(runtime, "investor")
    note = notify_on(
        runtime, alice.id, "nda_approved", "NDA approved", "You can read Night Train", {"ndaId": "n"}
    )
    response = runtime.client.get("/api/notifications", headers=alice.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == [
        {
            "id": note.id,
            "type": "nda_approved",
            "title": "NDA approved",
            "body": "You can read Night Train",
            "data": {"ndaId": "n"},
            "read": False,
            "createdAt": body["data"][0]["createdAt"],
        }
    ]
    assert body["metadata"]["nextCursor"] is None


def test_pagination_and_unread_only(runtime: RuntimeProcess) -> None:
    alice = register(runtime, "investor")
    notes = [notify_on(runtime, alice.id, "system", f"N{n}", "b") for n in range(5)]
    first = runtime.client.get("/api/notifications", params={"limit": 2}, headers=alice.headers).json()
    assert [item["title"] for item in first["data"]] == ["N4", "N3"]
    cursor = first["metadata"]["nextCursor"]
    second = runtime.client.get(
        "/api/notifications", params={"limit": 2, "cursor": cursor}, headers=alice.headers
    ).json()
    assert [item["title"] for item in second["data"]] == ["N2", "N1"]
    runtime.client.post(f"/api/notifications/{notes[4].id}/read", headers=alice.headers)
    unread = runtime.client.get("/api/notifications", params={"unreadOnly": "true"}, headers=alice.headers)
    assert [item["title"] for item in unread.json()["data"]] == ["N3", "N2", "N1", "N0"]
    assert (
        runtime.client.get("/api/notifications", params={"limit": 0}, headers=alice.headers).status_code
        == 400
    )


def test_read_read_all_and_unread_count(runtime: RuntimeProcess) -> None:
    alice = register(runtime, "investor")
    notes = [notify_on(runtime, alice.id, "message", f"M{n}", "hi") for n in range(3)]

    def count() -> int:
        response = runtime.client.get("/api/notifications/unread-count", headers=alice.headers)
        assert response.status_code == 200
        return response.json()["data"]["count"]

    assert count() == 3
    read = runtime.client.post(f"/api/notifications/{notes[0].id}/read", headers=alice.headers)
    assert read.status_code == 200 and read.json()["data"]["read"] is True
    again = runtime.client.post(f"/api/notifications/{notes[0].id}/read", json={}, headers=alice.headers)
    assert again.status_code == 200
    assert count() == 2
    read_all = runtime.client.post("/api/notifications/read-all", headers=alice.headers)
    assert read_all.status_code == 200 and read_all.json()["data"] == {"count": 2}
    assert count() == 0


def test_another_users_notification_is_404(runtime: RuntimeProcess) -> None:
    alice, mallory = register(runtime, "investor"), register(runtime, "investor")
    note = notify_on(runtime, alice.id, "system", "Private", "for Alice")
    for notification_id in (note.id, "0" * 32, "x"):
        response = runtime.client.post(f"/api/notifications/{notification_id}/read", headers=mallory.headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert mallory.id not in str(runtime.client.get("/api/notifications", headers=mallory.headers).json())
    assert runtime.client.get("/api/notifications/unread-count", headers=alice.headers).json()["data"] == {
        "count": 1
    }


def test_no_token_is_the_gateway_401(runtime: RuntimeProcess) -> None:
    response = runtime.client.get("/api/notifications")
    assert (response.status_code, response.json()) == (401, {"message": "Unauthorized"})


def test_preferences_defaults_merge_and_422(runtime: RuntimeProcess) -> None:
    alice = register(runtime, "investor")
    defaults = {
        "nda": "instant",
        "investment": "instant",
        "message": "instant",
        "pitch": "daily",
        "digest": "weekly",
    }
    assert runtime.client.get("/api/notifications/preferences", headers=alice.headers).json()["data"] == {
        "email": defaults
    }
    put = runtime.client.put(
        "/api/notifications/preferences", json={"email": {"pitch": "weekly"}}, headers=alice.headers
    )
    assert put.status_code == 200 and put.json()["data"] == {"email": {**defaults, "pitch": "weekly"}}
    for body in ({"email": {"pitch": "hourly"}}, {"email": {"sms": "never"}}, {"push": {}}):
        response = runtime.client.put("/api/notifications/preferences", json=body, headers=alice.headers)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert runtime.client.get("/api/notifications/preferences", headers=alice.headers).json()["data"] == {
        "email": {**defaults, "pitch": "weekly"}
    }


def test_an_instant_notification_is_emailed(runtime: RuntimeProcess) -> None:
    alice = register(runtime, "investor")
    notify_on(runtime, alice.id, "nda_request", "New NDA request", "An investor asked for Night Train")
    [mail] = eventually(lambda: inbox(runtime, alice.email))
    assert mail["subject"] == "[Pitchey] New NDA request"
    assert "An investor asked for Night Train" in mail["text"]
    assert "unsubscribe?token=" in mail["text"] and "Unsubscribe" in mail["html"]
    # Locally the link reaches the local API (EMAIL_LINK_BASE_URL resolves to the runtime's HTTP port).
    assert f"{runtime.http}/api/notifications/unsubscribe?token=" in mail["text"]


def test_never_means_no_email(runtime: RuntimeProcess) -> None:
    alice = register(runtime, "investor")
    runtime.client.put(
        "/api/notifications/preferences", json={"email": {"message": "never"}}, headers=alice.headers
    )
    notify_on(runtime, alice.id, "message", "New message", "quiet please")
    notify_on(runtime, alice.id, "system", "Marker", "sent after the message")
    eventually(lambda: inbox(runtime, alice.email))  # the system one arrives…
    time.sleep(0.5)
    assert [mail["subject"] for mail in inbox(runtime, alice.email)] == ["[Pitchey] Marker"]  # …alone


def test_the_daily_digest_run_twice_sends_once(runtime: RuntimeProcess) -> None:
    alice = register(runtime, "investor")
    notes = [
        notify_on(runtime, alice.id, "new_follower", f"Follower {n}", f"user {n} follows you")
        for n in range(2)
    ]
    dynamodb = runtime.boto3("dynamodb")
    bucket = f"daily#{datetime.now(UTC):%Y-%m-%d}"

    def queued() -> int:
        page = dynamodb.query(
            TableName="DigestQueueTable",
            KeyConditionExpression="#b = :b AND begins_with(sk, :user)",
            ExpressionAttributeNames={"#b": "bucket"},
            ExpressionAttributeValues={":b": {"S": bucket}, ":user": {"S": f"{alice.id}#"}},
        )
        return page["Count"]

    eventually(lambda: queued() == len(notes))
    first = runtime.run_schedule("DailyDigestSchedule")
    second = runtime.run_schedule("DailyDigestSchedule")
    assert first["error"] is None and second["error"] is None
    assert first["payload"]["emails"] >= 1
    [mail] = eventually(lambda: [m for m in runtime.emails(to=alice.email) if "digest" in m["subject"]])
    assert mail["subject"] == "[Pitchey] Your daily Pitchey digest (2 new)"
    assert "user 0 follows you" in mail["text"] and "user 1 follows you" in mail["text"]
    time.sleep(1.0)  # a second email, if any, would have been sent by now
    assert len([m for m in runtime.emails(to=alice.email) if "digest" in m["subject"]]) == 1
