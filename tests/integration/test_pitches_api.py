"""Pitches, media, likes and follows through the local runtime: real HTTP, real gateway routing, real S3
presigned uploads (with the runtime's POST-policy enforcement), users registered through the auth API."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.integration.accounts import Account, cast, register

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def people(runtime: Any) -> dict[str, Account]:
    return cast(runtime, creator="creator", rival="creator", investor="investor")


def create(runtime: Any, owner: Account, **fields: Any) -> dict[str, Any]:
    body = {
        "title": "Night Shift",
        "logline": "A nurse finds a ghost.",
        "genre": "horror",
        "format": "feature",
    }
    answer = runtime.client.post("/api/pitches", json={**body, **fields}, headers=owner.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


def publish(runtime: Any, owner: Account, pitch_id: str) -> dict[str, Any]:
    answer = runtime.client.put(
        f"/api/pitches/{pitch_id}",
        json={"status": "published", "shortSynopsis": "Short."},
        headers=owner.headers,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def test_create_is_for_creators_and_drafts_stay_private(runtime, people):
    client, creator, rival, investor = runtime.client, people["creator"], people["rival"], people["investor"]
    pitch = create(runtime, creator)
    assert pitch["status"] == "draft" and pitch["creatorId"] == creator.id
    alias = client.post(
        "/api/pitches/create",
        json={"title": "Alias", "logline": "l", "genre": "drama", "format": "tv"},
        headers=creator.headers,
    )
    assert alias.status_code == 201
    refused = client.post("/api/pitches", json={"title": "x"}, headers=investor.headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"
    assert client.post("/api/pitches", json={}).status_code == 401

    path = f"/api/pitches/{pitch['id']}"
    assert client.get(path, headers=creator.headers).status_code == 200
    for headers in (rival.headers, investor.headers, {}):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "NOT_FOUND"
    assert client.put(path, json={"title": "Mine"}, headers=rival.headers).status_code == 404
    assert client.delete(path, headers=rival.headers).status_code == 404
    assert client.get(f"{path}/history", headers=rival.headers).status_code == 404
    assert client.get(path, headers=creator.headers).json()["data"]["title"] == "Night Shift"


def test_validation_publishing_and_protected_fields(runtime, people):
    client, creator, investor = runtime.client, people["creator"], people["investor"]
    pitch = create(runtime, creator, requiresNDA=True, longSynopsis="The full story.", budgetCents=1_000_000)
    path = f"/api/pitches/{pitch['id']}"
    for field in ("viewCount", "creatorId", "status", "somethingElse"):
        answer = client.post(
            "/api/pitches",
            json={"title": "t", "logline": "l", "genre": "drama", "format": "tv", field: 1},
            headers=creator.headers,
        )
        assert answer.status_code == 422 and answer.json()["error"]["details"][0]["field"] == field
    assert client.put(path, json={"likeCount": 9}, headers=creator.headers).status_code == 422

    missing = client.put(path, json={"status": "published"}, headers=creator.headers)
    assert missing.status_code == 422
    assert [d["field"] for d in missing.json()["error"]["details"]] == ["shortSynopsis"]
    wrong = client.put(path, json={"status": "hidden"}, headers=creator.headers)
    assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "INVALID_TRANSITION"
    publish(runtime, creator, pitch["id"])

    for headers in ({}, investor.headers):
        data = client.get(path, headers=headers).json()["data"]
        assert data["canViewProtected"] is False
        assert "longSynopsis" not in data and "budgetCents" not in data
    own = client.get(path, headers=creator.headers).json()["data"]
    assert own["canViewProtected"] is True and own["longSynopsis"] == "The full story."

    history = client.get(f"{path}/history", headers=creator.headers).json()["data"]
    assert history[0]["changes"]["status"] == {"from": "draft", "to": "published"}
    archived = client.delete(path, headers=creator.headers)
    assert archived.status_code == 200 and archived.json()["data"]["status"] == "archived"
    assert client.get(path, headers=investor.headers).status_code == 404
    assert client.get(path, headers=creator.headers).json()["data"]["status"] == "archived"


def test_static_paths_are_not_taken_for_pitch_ids(runtime, people):
    client, creator, investor = runtime.client, people["creator"], people["investor"]
    mine = client.get("/api/pitches/my", headers=creator.headers)
    assert mine.status_code == 200 and isinstance(mine.json()["data"], list)
    assert all(p["creatorId"] == creator.id for p in mine.json()["data"])
    assert client.get("/api/pitches/my", headers=investor.headers).status_code == 403
    for path in ("/api/pitches/browse", "/api/pitches/public", "/api/pitches/trending"):
        answer = client.get(path)
        assert answer.status_code == 200 and isinstance(answer.json()["data"], list), path
    assert client.get("/api/pitches/following", headers=investor.headers).status_code == 200
    assert client.get("/api/pitches/following").status_code == 401


def test_browse_pages_return_each_published_pitch_once_and_never_a_draft(runtime, people):
    client, creator = runtime.client, people["creator"]
    token = uuid.uuid4().hex[:10]
    published = [create(runtime, creator, title=f"{token} number {n}")["id"] for n in range(5)]
    for pitch_id in published:
        publish(runtime, creator, pitch_id)
    create(runtime, creator, title=f"{token} draft")
    hidden = create(runtime, creator, title=f"{token} hidden")
    publish(runtime, creator, hidden["id"])
    client.put(f"/api/pitches/{hidden['id']}", json={"status": "hidden"}, headers=creator.headers)

    for path in ("/api/pitches/browse", "/api/pitches/public"):
        seen, cursor = [], None
        while True:
            params = {"q": token.upper(), "limit": "2", **({"cursor": cursor} if cursor else {})}
            answer = client.get(path, params=params)
            assert answer.status_code == 200, answer.text
            seen += [p["id"] for p in answer.json()["data"]]
            assert all(p["status"] == "published" for p in answer.json()["data"])
            cursor = answer.json()["metadata"]["nextCursor"]
            if cursor is None:
                break
        assert seen == list(reversed(published)), path
    assert client.get("/api/pitches/browse", params={"genre": "opera"}).status_code == 400
    assert client.get("/api/pitches/browse", params={"cursor": "forged"}).status_code == 400


def test_follow_twice_counts_once(runtime, people):
    client, creator, investor = runtime.client, people["creator"], people["investor"]
    pitch = create(runtime, creator)
    publish(runtime, creator, pitch["id"])
    body = {"targetType": "pitch", "targetId": pitch["id"]}
    assert client.post("/api/follows", json=body, headers=investor.headers).status_code == 201
    assert client.post("/api/follows", json=body, headers=investor.headers).status_code == 200
    data = client.get(f"/api/pitches/{pitch['id']}").json()["data"]
    assert data["followerCount"] == 1
    following = client.get("/api/follows/following", headers=investor.headers).json()["data"]
    assert {"targetType": "pitch", "targetId": pitch["id"]} in [
        {k: f[k] for k in ("targetType", "targetId")} for f in following
    ]
    mine = {"targetType": "user", "targetId": investor.id}
    assert client.post("/api/follows", json=mine, headers=investor.headers).status_code == 422
    assert client.delete(f"/api/follows/pitch/{pitch['id']}", headers=investor.headers).status_code == 200
    assert client.get(f"/api/pitches/{pitch['id']}").json()["data"]["followerCount"] == 0


def test_twenty_concurrent_likes_from_twenty_users_count_twenty(runtime, people):
    creator = people["creator"]
    pitch = create(runtime, creator)
    publish(runtime, creator, pitch["id"])
    fans = [register(runtime, "investor") for _ in range(20)]

    def like(fan: Account) -> int:
        with httpx.Client(base_url=runtime.http, timeout=30) as client:
            return client.post(f"/api/pitches/{pitch['id']}/like", headers=fan.headers).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(like, fans))
    assert statuses == [200] * 20
    assert runtime.client.get(f"/api/pitches/{pitch['id']}").json()["data"]["likeCount"] == 20
    again = runtime.client.post(f"/api/pitches/{pitch['id']}/like", json={}, headers=fans[0].headers)
    assert again.status_code == 200 and again.json()["data"]["likeCount"] == 20


def test_presigned_upload_is_enforced_by_s3_and_media_downloads(runtime, people):
    client, creator, investor = runtime.client, people["creator"], people["investor"]
    pitch = create(runtime, creator)
    publish(runtime, creator, pitch["id"])
    content = b"\x89PNG fake image bytes" * 10

    def start(**overrides: Any) -> dict[str, Any]:
        body = {
            "fileName": "poster.png",
            "contentType": "image/png",
            "sizeBytes": len(content),
            "kind": "image",
        }
        answer = client.post(
            f"/api/pitches/{pitch['id']}/media", json={**body, **overrides}, headers=creator.headers
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["data"]

    def post(grant: dict[str, Any], fields: dict[str, str], data: bytes, content_type: str) -> httpx.Response:
        return httpx.post(
            grant["uploadUrl"], data=fields, files={"file": ("poster.png", data, content_type)}, timeout=30
        )

    grant = start()
    wrong_type = post(
        grant, {**grant["uploadFields"], "Content-Type": "application/pdf"}, content, "application/pdf"
    )
    assert wrong_type.status_code in (400, 403), wrong_type.text
    too_big = post(grant, grant["uploadFields"], content + b"!", "image/png")
    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text
    listed = client.get(f"/api/pitches/{pitch['id']}", headers=creator.headers).json()["data"]["media"]
    assert [(m["id"], m["status"]) for m in listed] == [(grant["mediaId"], "pending")]

    accepted = post(grant, grant["uploadFields"], content, "image/png")
    assert accepted.status_code in (200, 201, 204), accepted.text
    (ready,) = client.get(f"/api/pitches/{pitch['id']}").json()["data"]["media"]
    assert ready["id"] == grant["mediaId"] and ready["status"] == "ready"
    link = client.get(f"/api/pitches/{pitch['id']}/media/{grant['mediaId']}", headers=investor.headers)
    assert link.status_code == 200
    downloaded = httpx.get(link.json()["data"]["downloadUrl"], timeout=30)
    assert downloaded.status_code == 200 and downloaded.content == content

    oversize = client.post(
        f"/api/pitches/{pitch['id']}/media",
        json={
            "fileName": "p.png",
            "contentType": "image/png",
            "sizeBytes": 10 * 1024 * 1024 + 1,
            "kind": "image",
        },
        headers=creator.headers,
    )
    assert oversize.status_code == 422


def test_protected_media_needs_an_nda_and_drafts_media_is_hidden(runtime, people):
    client, creator, investor = runtime.client, people["creator"], people["investor"]
    pitch = create(runtime, creator, requiresNDA=True)
    body = {"fileName": "script.pdf", "contentType": "application/pdf", "sizeBytes": 64, "kind": "script"}
    grant = client.post(
        f"/api/pitches/{pitch['id']}/media", json={**body, "protected": True}, headers=creator.headers
    ).json()["data"]
    uploaded = httpx.post(
        grant["uploadUrl"],
        data=grant["uploadFields"],
        files={"file": ("script.pdf", b"%PDF-1.4 tiny", "application/pdf")},
        timeout=30,
    )
    assert uploaded.status_code in (200, 201, 204), uploaded.text
    media_path = f"/api/pitches/{pitch['id']}/media/{grant['mediaId']}"
    assert client.get(media_path, headers=investor.headers).status_code == 404  # still a draft
    assert client.get(media_path, headers=creator.headers).status_code == 200
    publish(runtime, creator, pitch["id"])
    refused = client.get(media_path, headers=investor.headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "NDA_REQUIRED"
    assert client.get(f"/api/pitches/{pitch['id']}", headers=investor.headers).json()["data"]["media"] == []


def test_following_feed_over_http(runtime, people):
    client, creator = runtime.client, people["creator"]
    reader = register(runtime, "production")
    first = create(runtime, creator, title="Feed one")
    publish(runtime, creator, first["id"])
    body = {"targetType": "user", "targetId": creator.id}
    assert client.post("/api/follows", json=body, headers=reader.headers).status_code == 201
    second = create(runtime, creator, title="Feed two")
    publish(runtime, creator, second["id"])
    create(runtime, creator, title="Feed draft")
    feed = client.get("/api/pitches/following", headers=reader.headers).json()["data"]
    titles = [p["title"] for p in feed]
    assert titles.index("Feed two") < titles.index("Feed one") and "Feed draft" not in titles
    followers = client.get("/api/follows/followers", headers=creator.headers).json()["data"]
    assert reader.id in [f["userId"] for f in followers]


def test_idempotency_key_retry_returns_the_first_pitch_and_creates_one(runtime, people):
    creator = people["creator"]
    body = {"title": "Retry Me", "logline": "Sent twice.", "genre": "drama", "format": "short"}
    headers = {**creator.headers, "Idempotency-Key": f"create-{uuid.uuid4().hex}"}
    first = runtime.client.post("/api/pitches", json=body, headers=headers)
    retry = runtime.client.post("/api/pitches", json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert first.json()["data"]["id"] == retry.json()["data"]["id"]
    mine = runtime.client.get("/api/pitches/my", params={"limit": 100}, headers=creator.headers).json()[
        "data"
    ]
    assert [p["title"] for p in mine].count("Retry Me") == 1
    changed = runtime.client.post("/api/pitches", json={**body, "title": "Other"}, headers=headers)
    assert changed.status_code == 422 and changed.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
