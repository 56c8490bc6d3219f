"""Pitch media in S3: uploads go straight from the browser with a presigned POST bound to the exact key,
Content-Type, size range and SSE-AES256; downloads are presigned GETs valid 15 minutes.

Issuing an upload URL costs credits (payments' spend hook, in the same transaction as the record).
Each media record lives in its pitch item (`media` list), created `pending`; it becomes `ready` once its
object exists, checked with HeadObject when a pending record is read. A pending record whose upload window
has passed without an object is dropped, so abandoned uploads do not use up the pitch's media slots.
"""

from __future__ import annotations

import functools
import re
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import size

from pitchey.core import clock
from pitchey.core.config import setting
from pitchey.core.db import Transaction, TransactionCancelled
from pitchey.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pitchey.core.ids import new_id
from pitchey.payments import service as payments
from pitchey.pitches import rules
from pitchey.pitches.models import MediaFile, Pitch
from pitchey.pitches.schemas import CreateMedia
from pitchey.pitches.service import can_view_protected, load_owned, load_visible

UPLOAD_SECONDS = 15 * 60
DOWNLOAD_SECONDS = 15 * 60
STALE_GRACE_SECONDS = 60


@functools.cache
def _s3() -> Any:
    import boto3  # only the media paths pay for the S3 client
    from botocore.config import Config

    return boto3.client("s3", config=Config(signature_version="s3v4"))


def bucket() -> str:
    # Deployed: !Ref MediaBucket. Tests: the local name of the template's MediaBucket.
    return setting("MEDIA_BUCKET", "mediabucket")


def _safe_name(file_name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", file_name).strip("._") or "file"
    return name[-100:]


def _conditional_failure(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def start_upload(user_id: str, role: str, pitch_id: str, body: CreateMedia) -> dict[str, Any]:
    pitch = load_owned(user_id, pitch_id)
    content_type = body.content_type.lower()
    problems = rules.media_problems(body.kind, content_type, body.size_bytes)
    if problems:
        raise ValidationFailed("Media rejected", details=problems)
    media_id = new_id()
    key = f"pitches/{pitch.id}/{media_id}/{_safe_name(body.file_name)}"
    expires = clock.epoch() + UPLOAD_SECONDS
    record = MediaFile(
        id=media_id,
        kind=body.kind,
        file_name=body.file_name,
        content_type=content_type,
        size_bytes=body.size_bytes,
        protected=body.protected,
        status="pending",
        s3_key=key,
        created_at=clock.iso_precise(),
        upload_expires_at=expires,
    )

    def build(tx: Transaction) -> None:  # the record and its credits (costs.mediaUpload) commit together
        tx.update(
            "pitch",
            pitch,
            [Pitch.media.set((Pitch.media | []).append([record]))],
            Pitch.media.does_not_exist() | (size(Pitch.media) < rules.MAX_MEDIA_PER_PITCH),
        )
        payments.charge(tx, payments.Payer(user_id, role), "media_upload", media_id)

    try:
        payments.run_charged(build)
    except TransactionCancelled:  # the pitch's condition: its media slots are full
        message = f"A pitch can have at most {rules.MAX_MEDIA_PER_PITCH} media files"
        raise Conflict(message, code="MEDIA_LIMIT_REACHED") from None
    fields = {"Content-Type": content_type, "x-amz-server-side-encryption": "AES256"}
    post = _s3().generate_presigned_post(
        Bucket=bucket(),
        Key=key,
        Fields=fields,
        Conditions=[
            {"Content-Type": content_type},
            {"x-amz-server-side-encryption": "AES256"},
            ["content-length-range", 1, body.size_bytes],
        ],
        ExpiresIn=UPLOAD_SECONDS,
    )
    return {
        "mediaId": media_id,
        "uploadUrl": post["url"],
        "uploadFields": post["fields"],
        "expiresAt": clock.iso(clock.now() + timedelta(seconds=UPLOAD_SECONDS)),
    }


def _locate(pitch: Pitch, media_id: str) -> tuple[int, MediaFile | None]:
    for index, media in enumerate(pitch.media or []):
        if media.id == media_id:
            return index, media
    return -1, None


def _object_exists(key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        _s3().head_object(Bucket=bucket(), Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def refresh_pending(pitch: Pitch, candidates: list[MediaFile]) -> None:
    """Settle the pending records among `candidates`: ready when uploaded, dropped when the upload window
    has passed without an object. Each write is conditional on the record still being at its position."""
    for media_id in [m.id for m in candidates if m.status == "pending"]:
        index, media = _locate(pitch, media_id)
        if media is None or media.status != "pending":
            continue
        if _object_exists(media.s3_key):
            action = Pitch.media[index].status.set("ready")
        elif clock.epoch() > media.upload_expires_at + STALE_GRACE_SECONDS:
            action = Pitch.media[index].remove()
        else:
            continue
        try:
            pitch.update(actions=[action], condition=Pitch.media[index].id == media_id)
        except UpdateError as error:
            if not _conditional_failure(error):
                raise
            pitch.refresh(consistent_read=True)  # the list moved under us; the next read settles it


def download(user_id: str | None, pitch_id: str, media_id: str) -> dict[str, Any]:
    pitch = load_visible(pitch_id, user_id)
    owner = user_id == pitch.creator_id
    _, media = _locate(pitch, media_id)
    if media is not None and media.status == "pending":
        refresh_pending(pitch, [media])
        _, media = _locate(pitch, media_id)
    if media is None or (media.status != "ready" and not owner):
        raise NotFound("Media not found")
    if media.protected and not can_view_protected(pitch, user_id):
        raise Forbidden("Sign the NDA for this pitch to see this file", code="NDA_REQUIRED")
    if media.status != "ready":
        raise Conflict("The file has not been uploaded yet", code="MEDIA_NOT_READY")
    disposition = "inline" if media.kind in ("image", "video") else "attachment"
    url = _s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket(),
            "Key": media.s3_key,
            "ResponseContentDisposition": f'{disposition}; filename="{_safe_name(media.file_name)}"',
        },
        ExpiresIn=DOWNLOAD_SECONDS,
    )
    return {
        "downloadUrl": url,
        "expiresAt": clock.iso(clock.now() + timedelta(seconds=DOWNLOAD_SECONDS)),
    }
