"""Channels a connection may subscribe to. Today: `pitch:<id>`, for pitches the user may see."""

from __future__ import annotations

import re
from typing import Any

from pitchey.core.config import aws_client, table_name
from pitchey.core.errors import ValidationFailed

CHANNEL_PATTERN = re.compile(r"^(pitch):([A-Za-z0-9_-]{1,64})$")


def parse_channel(channel: Any) -> tuple[str, str]:
    match = CHANNEL_PATTERN.match(channel) if isinstance(channel, str) else None
    if match is None:
        raise ValidationFailed.field("channel", "channel must look like 'pitch:<id>'")
    return match.group(1), match.group(2)


def pitch_visibility(pitch_id: str) -> tuple[str, str] | None:
    """(creatorId, status) of a pitch, or None if there is none.

    Kept to one GetItem on the pitches context's table (key `id`, attributes `creatorId`, `status`) so the
    realtime code does not depend on that context's models."""
    response = aws_client("dynamodb").get_item(
        TableName=table_name("PITCHES_TABLE", "PitchesTable"),
        Key={"id": {"S": pitch_id}},
        ProjectionExpression="creatorId, #status",
        ExpressionAttributeNames={"#status": "status"},
    )
    item = response.get("Item")
    if not item:
        return None
    return item.get("creatorId", {}).get("S", ""), item.get("status", {}).get("S", "")


def pitch_visible_to(pitch_id: str, user_id: str) -> bool:
    """Published pitches to anyone; drafts, hidden and archived ones only to their creator."""
    found = pitch_visibility(pitch_id)
    if found is None:
        return False
    creator_id, status = found
    return status == "published" or creator_id == user_id


def visible_channel(kind: str, target: str, user_id: str) -> bool:
    return kind == "pitch" and pitch_visible_to(target, user_id)
