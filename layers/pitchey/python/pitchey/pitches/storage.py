"""The S3 side of pitch media, below the media endpoints (pitchey.pitches.media) and the pitch view
(pitchey.pitches.service), which both settle pending records. The presigned URLs, the bucket and its client
are pitchey.core.storage, shared with message attachments.

A media record is created `pending` in its pitch item; it becomes `ready` once its object exists (checked
with HeadObject when a pending record is read). A pending record whose upload window has passed without an
object is dropped, so abandoned uploads do not use up the pitch's media slots.
"""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from pitchey.core import clock, storage
from pitchey.pitches.models import MediaFile, Pitch

STALE_GRACE_SECONDS = 60


def conditional_failure(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def locate(pitch: Pitch, media_id: str) -> tuple[int, MediaFile | None]:
    for index, media in enumerate(pitch.media or []):
        if media.id == media_id:
            return index, media
    return -1, None


def refresh_pending(pitch: Pitch, candidates: list[MediaFile]) -> None:
    """Settle the pending records among `candidates`: ready when uploaded, dropped when the upload window
    has passed without an object. Each write is conditional on the record still being at its position."""
    for media_id in [m.id for m in candidates if m.status == "pending"]:
        index, media = locate(pitch, media_id)
        if media is None or media.status != "pending":
            continue
        if storage.object_exists(media.s3_key):
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
