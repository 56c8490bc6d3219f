"""Pitch media in S3: uploads go straight from the browser with a presigned POST bound to the exact key,
Content-Type, size range and SSE-AES256; downloads are presigned GETs valid 15 minutes.

Issuing an upload URL costs credits (payments' spend hook, in the same transaction as the record).
Each media record lives in its pitch item (`media` list); pitchey.pitches.storage settles pending ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.expressions.condition import size

from pitchey.core import clock, storage
from pitchey.core.db import Transaction, TransactionCancelled
from pitchey.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pitchey.core.ids import new_id
from pitchey.payments import service as payments
from pitchey.pitches import rules
from pitchey.pitches import storage as media_store
from pitchey.pitches.models import MediaFile, Pitch
from pitchey.pitches.service import can_view_protected, load_owned, load_visible

if TYPE_CHECKING:  # request bodies (pydantic) load only in the functions that parse them
    from pitchey.pitches.schemas import CreateMedia

UPLOAD_SECONDS = 15 * 60
DOWNLOAD_SECONDS = 15 * 60


def start_upload(user_id: str, role: str, pitch_id: str, body: CreateMedia) -> dict[str, Any]:
    pitch = load_owned(user_id, pitch_id)
    content_type = body.content_type.lower()
    problems = rules.media_problems(body.kind, content_type, body.size_bytes)
    if problems:
        raise ValidationFailed("Media rejected", details=problems)
    media_id = new_id()
    key = f"pitches/{pitch.id}/{media_id}/{storage.safe_name(body.file_name)}"
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
    return {"mediaId": media_id, **storage.upload_grant(key, content_type, body.size_bytes, UPLOAD_SECONDS)}


def download(user_id: str | None, pitch_id: str, media_id: str) -> dict[str, Any]:
    pitch = load_visible(pitch_id, user_id)
    owner = user_id == pitch.creator_id
    _, media = media_store.locate(pitch, media_id)
    if media is not None and media.status == "pending":
        media_store.refresh_pending(pitch, [media])
        _, media = media_store.locate(pitch, media_id)
    if media is None or (media.status != "ready" and not owner):
        raise NotFound("Media not found")
    if media.protected and not can_view_protected(pitch, user_id):
        raise Forbidden("Sign the NDA for this pitch to see this file", code="NDA_REQUIRED")
    if media.status != "ready":
        raise Conflict("The file has not been uploaded yet", code="MEDIA_NOT_READY")
    disposition = "inline" if media.kind in ("image", "video") else "attachment"
    return storage.download_grant(media.s3_key, media.file_name, disposition, DOWNLOAD_SECONDS)
