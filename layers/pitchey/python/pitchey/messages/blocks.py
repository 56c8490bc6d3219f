"""Blocking: a user refuses messages from another. The block is one item keyed by the pair, read by every
send inside its transaction (a ConditionCheck), so a message can never slip past a block written first."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError

from pitchey.core import clock
from pitchey.core.db import Page, PageRequest, query_page
from pitchey.core.errors import NotFound, ValidationFailed
from pitchey.messages.models import Block, block_key

MAX_ID_LENGTH = 128


def block_to_api(block: Block) -> dict[str, Any]:
    return {
        "userId": block.blocked_id,
        "username": block.blocked_username,
        "blockedAt": clock.iso(clock.from_iso(block.blocked_at)),
    }


def block(user_id: str, target_id: str) -> tuple[dict[str, Any], bool]:
    """Returns (block, created); blocking again keeps the first block."""
    from pitchey.users.service import get_user

    if target_id == user_id:
        raise ValidationFailed.field("id", "You cannot block yourself")
    target = get_user(target_id)  # 404 for an unknown user
    item = Block(
        block_key(user_id, target_id),
        blocker_id=user_id,
        blocked_id=target_id,
        blocked_username=target.username,
        blocked_at=clock.iso_precise(),
    )
    try:
        item.save(condition=Block.key.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return block_to_api(Block.get(item.key, consistent_read=True)), False
    return block_to_api(item), True


def unblock(user_id: str, target_id: str) -> dict[str, Any]:
    """Idempotent: not blocked is the same answer as having unblocked."""
    if not 0 < len(target_id) <= MAX_ID_LENGTH:
        raise NotFound("User not found")
    Block(block_key(user_id, target_id)).delete()  # deleting an absent item is no error
    return {"userId": target_id, "blocked": False}


def blocks_of(user_id: str, page: PageRequest) -> Page[Block]:
    """Who the caller blocked, newest first."""
    return query_page(
        Block,
        lambda **kw: Block.by_blocker.query(user_id, scan_index_forward=False, **kw),
        ("key", "blockerId", "blockedAt"),
        page=page,
        scope=f"blocks|{user_id}",
    )
