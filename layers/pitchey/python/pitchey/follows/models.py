"""The Follows table: one item per (follower, target). The target key is `user#<id>` or `pitch#<id>`, so the
item's primary key is the uniqueness rule and a conditional put makes following idempotent."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core.config import table_name
from pitchey.core.models import TableMeta

TARGET_TYPES = ("user", "pitch")


def target_key(target_type: str, target_id: str) -> str:
    return f"{target_type}#{target_id}"


class FollowsByTarget(GlobalSecondaryIndex):
    """Followers of a user or a pitch, newest first."""

    class Meta:
        index_name = "byTarget"
        projection = AllProjection()

    target_key = UnicodeAttribute(hash_key=True, attr_name="targetKey")
    followed_at = UnicodeAttribute(range_key=True, attr_name="followedAt")


class FollowsByFollower(GlobalSecondaryIndex):
    """What a user follows, newest first."""

    class Meta:
        index_name = "byFollower"
        projection = AllProjection()

    follower_id = UnicodeAttribute(hash_key=True, attr_name="followerId")
    followed_at = UnicodeAttribute(range_key=True, attr_name="followedAt")


class Follow(Model):
    class Meta(TableMeta):
        table_name = table_name("FOLLOWS_TABLE", "FollowsTable")

    follower_id = UnicodeAttribute(hash_key=True, attr_name="followerId")
    target_key = UnicodeAttribute(range_key=True, attr_name="targetKey")
    target_type = UnicodeAttribute(attr_name="targetType")
    target_id = UnicodeAttribute(attr_name="targetId")
    followed_at = UnicodeAttribute(attr_name="followedAt")  # microsecond ISO: a sort key

    by_target = FollowsByTarget()
    by_follower = FollowsByFollower()


# Read-only questions other contexts ask (pitch notifications, the following feed).
def follower_ids(target_type: str, target_id: str) -> list[str]:
    """Every follower of a user or pitch (Query on byTarget, all pages)."""
    return [
        follow.follower_id
        for follow in Follow.by_target.query(
            target_key(target_type, target_id), attributes_to_get=["followerId"], page_size=500
        )
    ]


def followed_targets(follower_id: str, limit: int) -> list[Follow]:
    """The `limit` most recent follows of a user (Query on byFollower, newest first)."""
    return list(Follow.by_follower.query(follower_id, scan_index_forward=False, limit=limit))
