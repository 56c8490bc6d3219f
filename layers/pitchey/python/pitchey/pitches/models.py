"""Pitch persistence: the Pitches table (with its browse indexes), change history, view dedupe and likes.

Browse indexes are sparse: `pubKey`, `pubGenre`, `pubFormat` and `pubCreator` are present only while a pitch
is published, so drafts, hidden and archived pitches never appear in them. `docs/data-model.md` lists every
access pattern and the index that serves it.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core.config import table_name
from pitchey.core.models import TableMeta

# The constant partition of the "every published pitch" indexes.
PUBLISHED_PARTITION = "published"


class MediaFile(MapAttribute):
    """One uploaded (or announced) file. Lives inside its pitch item, so it can never be orphaned."""

    id = UnicodeAttribute()
    kind = UnicodeAttribute()
    file_name = UnicodeAttribute(attr_name="fileName")
    content_type = UnicodeAttribute(attr_name="contentType")
    size_bytes = NumberAttribute(attr_name="sizeBytes")
    protected = BooleanAttribute(default=False)
    status = UnicodeAttribute(default="pending")  # pending → ready once the object exists in S3
    s3_key = UnicodeAttribute(attr_name="s3Key")
    created_at = UnicodeAttribute(attr_name="createdAt")
    upload_expires_at = NumberAttribute(attr_name="uploadExpiresAt")


class ByCreator(GlobalSecondaryIndex):
    class Meta:
        index_name = "byCreator"
        projection = AllProjection()

    creator_id = UnicodeAttribute(hash_key=True, attr_name="creatorId")
    created_at = UnicodeAttribute(range_key=True, attr_name="createdAt")


class Published(GlobalSecondaryIndex):
    class Meta:
        index_name = "published"
        projection = AllProjection()

    pub_key = UnicodeAttribute(hash_key=True, attr_name="pubKey")
    published_at = UnicodeAttribute(range_key=True, attr_name="publishedAt")


class PublishedByGenre(GlobalSecondaryIndex):
    class Meta:
        index_name = "publishedByGenre"
        projection = AllProjection()

    pub_genre = UnicodeAttribute(hash_key=True, attr_name="pubGenre")
    published_at = UnicodeAttribute(range_key=True, attr_name="publishedAt")


class PublishedByFormat(GlobalSecondaryIndex):
    class Meta:
        index_name = "publishedByFormat"
        projection = AllProjection()

    pub_format = UnicodeAttribute(hash_key=True, attr_name="pubFormat")
    published_at = UnicodeAttribute(range_key=True, attr_name="publishedAt")


class PublishedByCreator(GlobalSecondaryIndex):
    class Meta:
        index_name = "publishedByCreator"
        projection = AllProjection()

    pub_creator = UnicodeAttribute(hash_key=True, attr_name="pubCreator")
    published_at = UnicodeAttribute(range_key=True, attr_name="publishedAt")


class Popular(GlobalSecondaryIndex):
    class Meta:
        index_name = "popular"
        projection = AllProjection()

    pub_key = UnicodeAttribute(hash_key=True, attr_name="pubKey")
    popularity = NumberAttribute(range_key=True)


class FeaturedFirst(GlobalSecondaryIndex):
    """browse?sort=featured: every published pitch, featured ones first (featRank "1#<featuredAt>"), then
    the rest newest first ("0#<publishedAt>"); one Query, descending."""

    class Meta:
        index_name = "featuredFirst"
        projection = AllProjection()

    pub_key = UnicodeAttribute(hash_key=True, attr_name="pubKey")
    feat_rank = UnicodeAttribute(range_key=True, attr_name="featRank")


def feature_rank(featured_at: str | None, published_at: str) -> str:
    return f"1#{featured_at}" if featured_at else f"0#{published_at}"


class Pitch(Model):
    class Meta(TableMeta):
        table_name = table_name("PITCHES_TABLE", "PitchesTable")

    id = UnicodeAttribute(hash_key=True)
    creator_id = UnicodeAttribute(attr_name="creatorId")
    title = UnicodeAttribute()
    logline = UnicodeAttribute()
    genre = UnicodeAttribute()
    format = UnicodeAttribute()
    status = UnicodeAttribute(default="draft")
    short_synopsis = UnicodeAttribute(null=True, attr_name="shortSynopsis")
    long_synopsis = UnicodeAttribute(null=True, attr_name="longSynopsis")
    themes = ListAttribute(of=UnicodeAttribute, null=True)
    target_audience = UnicodeAttribute(null=True, attr_name="targetAudience")
    budget_cents = NumberAttribute(null=True, attr_name="budgetCents")
    seeking_investment = BooleanAttribute(default=False, attr_name="seekingInvestment")
    funding_goal_cents = NumberAttribute(null=True, attr_name="fundingGoalCents")
    funding_raised_cents = NumberAttribute(default=0, attr_name="fundingRaisedCents")
    # Written only by the investments context, in the transaction that moves an investment (API.md:
    # raised = committed + active + completed, pledged = pending … negotiation).
    funding_pledged_cents = NumberAttribute(null=True, attr_name="fundingPledgedCents")
    # Set while seekingInvestment is off because raised reached the goal (a default then reopens it).
    funding_closed_at = UnicodeAttribute(null=True, attr_name="fundingClosedAt")
    # The highest funding milestone (percent of the goal) already announced to followers, so each is once.
    funding_milestone = NumberAttribute(null=True, attr_name="fundingMilestone")
    min_investment_cents = NumberAttribute(default=100_000, attr_name="minInvestmentCents")
    requires_nda = BooleanAttribute(default=False, attr_name="requiresNDA")
    nda_type = UnicodeAttribute(null=True, attr_name="ndaType")
    custom_nda_text = UnicodeAttribute(null=True, attr_name="customNdaText")
    # The default NDA template of the pitch's NDAs (a standard one or the creator's own; issue #21).
    nda_template_id = UnicodeAttribute(null=True, attr_name="ndaTemplateId")
    view_count = NumberAttribute(default=0, attr_name="viewCount")
    like_count = NumberAttribute(default=0, attr_name="likeCount")
    follower_count = NumberAttribute(default=0, attr_name="followerCount")
    # Active or paused production projects on the pitch, moved by ADD in the transaction that changes a
    # project's status (production context): the pitch is `inProduction` while it is above 0.
    production_count = NumberAttribute(default=0, attr_name="productionCount")
    # Maintained with every counter ADD (see rules.POPULARITY_WEIGHTS): the sort key of `popular`.
    popularity = NumberAttribute(default=0)
    media = ListAttribute(of=MediaFile, null=True)
    created_at = UnicodeAttribute(attr_name="createdAt")  # microsecond ISO: a sort key
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    published_at = UnicodeAttribute(null=True, attr_name="publishedAt")  # first publication
    # Content edits are conditional on this (optimistic locking). Counters do not touch it, so a view or a
    # like never makes an edit fail.
    version = NumberAttribute(default=1)
    # Lowercased copies for the case-insensitive `q` filter.
    search_title = UnicodeAttribute(null=True, attr_name="searchTitle")
    search_logline = UnicodeAttribute(null=True, attr_name="searchLogline")
    # Sparse index keys, present only while published.
    pub_key = UnicodeAttribute(null=True, attr_name="pubKey")
    pub_genre = UnicodeAttribute(null=True, attr_name="pubGenre")
    pub_format = UnicodeAttribute(null=True, attr_name="pubFormat")
    pub_creator = UnicodeAttribute(null=True, attr_name="pubCreator")
    feat_rank = UnicodeAttribute(null=True, attr_name="featRank")  # present only while published
    # Moderation: an admin featured it (when), or hid it (the owner cannot publish it again).
    featured_at = UnicodeAttribute(null=True, attr_name="featuredAt")
    moderation_hidden = BooleanAttribute(null=True, attr_name="moderationHidden")

    by_creator = ByCreator()
    published = Published()
    published_by_genre = PublishedByGenre()
    published_by_format = PublishedByFormat()
    published_by_creator = PublishedByCreator()
    popular = Popular()
    featured_first = FeaturedFirst()


class PitchHistory(Model):
    """One item per change: pitchId + "<at precise>#<id>", newest first by ScanIndexForward=False."""

    class Meta(TableMeta):
        table_name = table_name("PITCH_HISTORY_TABLE", "PitchHistoryTable")

    pitch_id = UnicodeAttribute(hash_key=True, attr_name="pitchId")
    sk = UnicodeAttribute(range_key=True)
    at = UnicodeAttribute()
    actor_id = UnicodeAttribute(attr_name="actorId")
    changes = JSONAttribute()


class PitchView(Model):
    """Dedupe marker: one view per (pitch, viewer) per window; expired markers are removed by TTL."""

    class Meta(TableMeta):
        table_name = table_name("PITCH_VIEWS_TABLE", "PitchViewsTable")

    key = UnicodeAttribute(hash_key=True)
    ttl = NumberAttribute()


class PitchLike(Model):
    class Meta(TableMeta):
        table_name = table_name("PITCH_LIKES_TABLE", "PitchLikesTable")

    pitch_id = UnicodeAttribute(hash_key=True, attr_name="pitchId")
    user_id = UnicodeAttribute(range_key=True, attr_name="userId")
    liked_at = UnicodeAttribute(attr_name="likedAt")
