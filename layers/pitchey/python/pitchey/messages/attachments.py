"""Message attachments: announced by the sender (a presigned POST like pitch media, at most 50 MB, the size
and type enforced by S3's policy check), then claimed by the send that carries them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pitchey.core import clock, storage
from pitchey.core.errors import Conflict, ValidationFailed
from pitchey.core.ids import new_id
from pitchey.messages.models import Attachment

if TYPE_CHECKING:  # request bodies (pydantic) load only in the functions that parse them
    from pitchey.messages.schemas import CreateAttachment

UPLOAD_SECONDS = 15 * 60
UNSENT_TTL_SECONDS = 24 * 3600  # an attachment never sent is forgotten after a day


def start_upload(user_id: str, body: CreateAttachment) -> dict[str, Any]:
    attachment_id = new_id()
    content_type = body.content_type.lower()
    key = f"messages/{user_id}/{attachment_id}/{storage.safe_name(body.file_name)}"
    Attachment(
        attachment_id,
        owner_id=user_id,
        file_name=body.file_name,
        content_type=content_type,
        size_bytes=body.size_bytes,
        s3_key=key,
        created_at=clock.iso_precise(),
        ttl=clock.epoch() + UNSENT_TTL_SECONDS,
    ).save(condition=Attachment.id.does_not_exist())
    grant = storage.upload_grant(key, content_type, body.size_bytes, UPLOAD_SECONDS)
    return {"attachmentId": attachment_id, **grant}


def claimable(user_id: str, attachment_ids: list[str]) -> list[Attachment]:
    """The caller's uploaded, not yet sent attachments with these ids (422 for any other id, 409 while the
    file is not uploaded). The send's transaction claims them conditionally, so one goes out once."""
    if not attachment_ids:
        return []
    found = {a.id: a for a in Attachment.batch_get(attachment_ids, consistent_read=True)}
    claimed = []
    for attachment_id in attachment_ids:
        item = found.get(attachment_id)
        if item is None or item.owner_id != user_id or item.message_id is not None:
            problem = f"Unknown or already sent attachment {attachment_id}"
            raise ValidationFailed.field("attachmentIds", problem)
        if not storage.object_exists(item.s3_key):
            raise Conflict("Upload the file before sending it", code="MEDIA_NOT_READY")
        claimed.append(item)
    return claimed
