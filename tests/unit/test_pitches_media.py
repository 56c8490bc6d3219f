"""Media: presigned uploads bound to key/type/size/SSE, readiness, visibility and downloads."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from pitchey.core import storage
from pitchey.pitches import rules
from pitchey.pitches.models import MediaFile, Pitch
from tests.unit.accounts import make_user
from tests.unit.pitches_support import create_pitch, get_pitch, hit, published_pitch
from tests.unit.test_investments_support import sign_nda

MB = 1024 * 1024


def upload(actor, pitch_id, **overrides):
    body = {"fileName": "poster.png", "contentType": "image/png", "sizeBytes": 2 * MB, "kind": "image"}
    body.update(overrides)
    return hit(
        "pitches/media_upload",
        "POST",
        f"/api/pitches/{pitch_id}/media",
        actor,
        body=body,
        path_params={"id": pitch_id},
    )


def download(actor, pitch_id, media_id):
    return hit(
        "pitches/media_download",
        "GET",
        f"/api/pitches/{pitch_id}/media/{media_id}",
        actor,
        path_params={"id": pitch_id, "mediaId": media_id},
    )


def put_object(pitch_id, media_id, body=b"png-bytes"):
    """What the browser's POST to the presigned URL leaves behind."""
    record = next(m for m in Pitch.get(pitch_id).media if m.id == media_id)
    boto3.client("s3").put_object(
        Bucket="mediabucket", Key=record.s3_key, Body=body, ServerSideEncryption="AES256"
    )
    return record.s3_key


def test_upload_is_a_presigned_post_bound_to_key_type_size_and_encryption(aws):
    owner = make_user()
    pitch = create_pitch(owner)
    answer = upload(owner, pitch["id"], sizeBytes=3 * MB)
    assert answer.status == 201
    data = answer.data
    assert set(data) == {"mediaId", "uploadUrl", "uploadFields", "expiresAt"}
    fields = data["uploadFields"]
    assert fields["key"].startswith(f"pitches/{pitch['id']}/{data['mediaId']}/")
    assert fields["Content-Type"] == "image/png"
    assert fields["x-amz-server-side-encryption"] == "AES256"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"Content-Type": "image/png"} in conditions
    assert {"x-amz-server-side-encryption": "AES256"} in conditions
    assert ["content-length-range", 1, 3 * MB] in conditions
    assert {"key": fields["key"]} in conditions and {"bucket": "mediabucket"} in conditions
    assert data["expiresAt"].endswith("Z")
    assert "mediabucket" in data["uploadUrl"]


@pytest.mark.parametrize(
    ("kind", "content_type", "size"),
    [
        ("image", "image/png", 10 * MB + 1),
        ("video", "video/mp4", 500 * MB + 1),
        ("script", "application/pdf", 50 * MB + 1),
        ("deck", "application/pdf", 50 * MB + 1),
        ("other", "application/pdf", 50 * MB + 1),
    ],
)
def test_size_limits_per_kind(aws, kind, content_type, size):
    owner = make_user()
    pitch = create_pitch(owner)
    answer = upload(owner, pitch["id"], kind=kind, contentType=content_type, sizeBytes=size)
    assert answer.status == 422 and answer.body["error"]["details"][0]["field"] == "sizeBytes"
    assert upload(owner, pitch["id"], kind=kind, contentType=content_type, sizeBytes=size - 1).status == 201


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [("image", "application/pdf"), ("video", "image/png"), ("script", "video/mp4"), ("deck", "image/jpeg")],
)
def test_content_type_must_fit_the_kind(aws, kind, content_type):
    owner = make_user()
    pitch = create_pitch(owner)
    answer = upload(owner, pitch["id"], kind=kind, contentType=content_type, sizeBytes=100)
    assert answer.status == 422 and answer.body["error"]["details"][0]["field"] == "contentType"


@pytest.mark.parametrize(
    "override",
    [
        {"sizeBytes": 0},
        {"sizeBytes": "5"},
        {"kind": "audio"},
        {"protected": "yes"},
        {"url": "x"},
        {"fileName": ""},
    ],
)
def test_bad_media_bodies_are_422(aws, override):
    owner = make_user()
    pitch = create_pitch(owner)
    assert upload(owner, pitch["id"], **override).status == 422


def test_only_the_owner_may_upload(aws):
    owner = make_user()
    pitch = published_pitch(owner)
    assert upload(make_user(), pitch["id"]).status == 404
    assert upload(make_user("investor"), pitch["id"]).status == 404
    assert upload(None, pitch["id"]).status == 401
    assert Pitch.get(pitch["id"]).media == []


def test_media_becomes_ready_once_uploaded_and_is_then_listed_for_everyone(aws):
    owner = make_user()
    pitch = published_pitch(owner)
    media_id = upload(owner, pitch["id"]).data["mediaId"]
    owner_view = get_pitch(owner, pitch["id"]).data["media"]
    assert [(m["id"], m["status"]) for m in owner_view] == [(media_id, "pending")]
    assert get_pitch(None, pitch["id"]).data["media"] == []  # nothing to see until uploaded
    put_object(pitch["id"], media_id)
    (listed,) = get_pitch(None, pitch["id"]).data["media"]
    assert listed["id"] == media_id and listed["status"] == "ready" and listed["kind"] == "image"
    assert listed["fileName"] == "poster.png" and listed["protected"] is False
    assert "s3Key" not in listed
    assert Pitch.get(pitch["id"]).media[0].status == "ready"


def test_download_is_a_presigned_get_valid_at_most_15_minutes(aws):
    owner = make_user()
    pitch = published_pitch(owner)
    media_id = upload(owner, pitch["id"]).data["mediaId"]
    key = put_object(pitch["id"], media_id, b"the poster")
    answer = download(None, pitch["id"], media_id)
    assert answer.status == 200
    url = urlparse(answer.data["downloadUrl"])
    query = parse_qs(url.query)
    assert int(query["X-Amz-Expires"][0]) <= 900
    assert url.path.endswith(key.split("/")[-1])
    assert answer.data["expiresAt"].endswith("Z")


def test_protected_media_needs_nda_access(aws):
    owner, investor, signer = make_user(), make_user("investor"), make_user("investor")
    pitch = published_pitch(owner, requiresNDA=True)
    script_id = upload(
        owner, pitch["id"], kind="script", contentType="application/pdf", fileName="s.pdf", protected=True
    ).data["mediaId"]
    poster_id = upload(owner, pitch["id"]).data["mediaId"]
    put_object(pitch["id"], script_id)
    put_object(pitch["id"], poster_id)
    sign_nda(signer, owner, pitch["id"])
    for caller in (None, investor):
        refused = download(caller, pitch["id"], script_id)
        assert refused.status == 403 and refused.code == "NDA_REQUIRED"
        assert download(caller, pitch["id"], poster_id).status == 200
        assert [m["id"] for m in get_pitch(caller, pitch["id"]).data["media"]] == [poster_id]
    assert download(signer, pitch["id"], script_id).status == 200
    assert {m["id"] for m in get_pitch(signer, pitch["id"]).data["media"]} == {script_id, poster_id}
    assert download(owner, pitch["id"], script_id).status == 200


def test_protected_media_of_a_pitch_without_nda_is_open(aws):
    owner = make_user()
    pitch = published_pitch(owner)
    media_id = upload(owner, pitch["id"], protected=True).data["mediaId"]
    put_object(pitch["id"], media_id)
    assert download(make_user("investor"), pitch["id"], media_id).status == 200


def test_media_of_someone_elses_unpublished_pitch_is_404(aws):
    owner = make_user()
    pitch = create_pitch(owner)
    media_id = upload(owner, pitch["id"]).data["mediaId"]
    put_object(pitch["id"], media_id)
    assert download(owner, pitch["id"], media_id).status == 200
    for caller in (None, make_user(), make_user("investor")):
        assert download(caller, pitch["id"], media_id).status == 404


def test_pending_and_unknown_media(aws):
    owner = make_user()
    pitch = published_pitch(owner)
    media_id = upload(owner, pitch["id"]).data["mediaId"]
    not_ready = download(owner, pitch["id"], media_id)
    assert not_ready.status == 409 and not_ready.code == "MEDIA_NOT_READY"
    assert download(make_user("investor"), pitch["id"], media_id).status == 404
    assert download(owner, pitch["id"], "no-such-media").status == 404


def test_abandoned_uploads_are_dropped_after_their_window(aws):
    owner = make_user()
    pitch = create_pitch(owner)
    stale_id = upload(owner, pitch["id"]).data["mediaId"]
    fresh_id = upload(owner, pitch["id"]).data["mediaId"]
    stored = Pitch.get(pitch["id"])
    stored.update(actions=[Pitch.media[0].upload_expires_at.set(1)])
    assert [m["id"] for m in get_pitch(owner, pitch["id"]).data["media"]] == [fresh_id]
    assert [m.id for m in Pitch.get(pitch["id"]).media] == [fresh_id]
    assert download(owner, pitch["id"], stale_id).status == 404


def test_a_pitch_holds_a_bounded_number_of_media(aws):
    owner = make_user()
    pitch = create_pitch(owner)
    filler = [
        MediaFile(
            id=f"m{n}",
            kind="image",
            file_name="x.png",
            content_type="image/png",
            size_bytes=1,
            status="ready",
            s3_key=f"k{n}",
            created_at="2026-01-01T00:00:00.000000Z",
            upload_expires_at=1,
        )
        for n in range(rules.MAX_MEDIA_PER_PITCH)
    ]
    Pitch.get(pitch["id"]).update(actions=[Pitch.media.set(filler)])
    answer = upload(owner, pitch["id"])
    assert answer.status == 409 and answer.code == "MEDIA_LIMIT_REACHED"


def test_file_names_are_made_safe_for_keys():
    assert storage.safe_name("../../etc/passwd") == "etc_passwd"
    assert storage.safe_name("my poster (final).PNG") == "my_poster_final_.PNG"
    assert storage.safe_name("...") == "file"
