"""ActivityFeedTable: one item per (follower, event), written once when the event happens (fan-out on
write), so a follower's feed is one Query. Access patterns: docs/data-model.md ("ActivityFeed")."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from pitchey.core.config import table_name
from pitchey.core.models import TableMeta

PITCH_PUBLISHED, PITCH_UPDATED, FUNDING_MILESTONE, PROJECT_STAGE = (
    "pitch_published",
    "pitch_updated",
    "funding_milestone",
    "project_stage",
)
ACTIVITY_TYPES = (PITCH_PUBLISHED, PITCH_UPDATED, FUNDING_MILESTONE, PROJECT_STAGE)


class FeedItem(Model):
    class Meta(TableMeta):
        table_name = table_name("ACTIVITY_FEED_TABLE", "ActivityFeedTable")

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")  # the follower
    sk = UnicodeAttribute(range_key=True)  # "<at precise>#<event id>": newest first
    type = UnicodeAttribute()
    pitch_id = UnicodeAttribute(attr_name="pitchId")
    actor_id = UnicodeAttribute(attr_name="actorId")
    summary = UnicodeAttribute()
    at = UnicodeAttribute()
