"""The S3 side of pitch media, below the media endpoints (pitchey.pitches.media) and the pitch view
(pitchey.pitches.service), which both settle pending records: the bucket, its client, and whether an
upload has landed.

A media record is created `pending` in its pitch item; it becomes `ready` once its object exists (checked
with HeadObject when a pending record is read). A pending record whose upload window has passed without an
object is dropped, so abandoned uploads do not use up the pitch's media slots.
"""

from __future__ import annotations

import functools
from typing import Any

from pynamodb.exceptions import UpdateError

from pitchey.core import clock
from pitchey.core.settings import settings
from pitchey.pitches.models import MediaFile, Pitch

STALE_GRACE_SECONDS = 60


@functools.cache
def s3() -> Any:
    import boto3  # only the media paths pay for the S3 client
    from botocore.config import Config

    return boto3.client("s3", config=Config(signature_version="s3v4"))


def bucket() -> str:
    # Deployed: !Ref MediaBucket. Tests: the local name of the template's MediaBucket.
    return settings().media_bucket


def conditional_failure(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def locate(pitch: Pitch, media_id: str) -> tuple[int, MediaFile | None]:
    for index, media in enumerate(pitch.media or []):
        if media.id == media_id:
            return index, media
    return -1, None


def _object_exists(key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3().head_object(Bucket=bucket(), Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def refresh_pending(pitch: Pitch, candidates: list[MediaFile]) -> None:
    """Settle the pending records among `candidates`: ready when uploaded, dropped when the upload window
    has passed without an object. Each write is conditional on the record still being at its position."""
    for media_id in [m.id for m in candidates if m.status == "pending"]:
        index, media = locate(pitch, media_id)
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
            if not conditional_failure(error):
                raise
            pitch.refresh(consistent_read=True)  # the list moved under us; the next read settles it
