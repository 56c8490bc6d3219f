"""Pitch rules with storage: who sees what, the publishing lifecycle, change history, views and lists.

Visibility: a published pitch is visible to anyone; any other status only to its owner, and everyone else
gets 404 (never a hint that it exists). Protected fields (longSynopsis, budgetCents, protected media) are
left out of the answer unless the caller may view them (owner, no NDA required, or a signed NDA).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PutError

from pitchey.core import clock, ratelimit
from pitchey.core.db import (
    Page,
    PageRequest,
    Transaction,
    get_many,
    optimistic,
    query_page,
    transact,
)
from pitchey.core.errors import Conflict, NotFound, ValidationFailed
from pitchey.core.ids import new_id
from pitchey.core.log import logger
from pitchey.ndas import access
from pitchey.pitches import feed, rules, storage
from pitchey.pitches.feed import followed as feed_followed
from pitchey.pitches.feed import following_feed as following_feed
from pitchey.pitches.feed import unfollowed as feed_unfollowed
from pitchey.pitches.models import (
    PUBLISHED_PARTITION,
    MediaFile,
    Pitch,
    PitchHistory,
    PitchView,
    feature_rank,
)

if TYPE_CHECKING:  # request bodies (pydantic) load only in the functions that parse them
    from pitchey.pitches.schemas import CreatePitch, UpdatePitch

# The follows context keeps the following feed in step with follows through these.
__all__ = ["feed_followed", "feed_unfollowed", "following_feed"]

VIEW_DEDUPE_SECONDS = 30 * 60
ANON_VIEWS_PER_IP = 3  # anonymous viewers (session ids) counted per IP per pitch per VIEW_DEDUPE_SECONDS
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_UPDATE_ATTEMPTS = 4

# API field → Pitch attribute, for every field a creator may write (PUT body keys).
WRITABLE = {
    attr.attr_name: name
    for name, attr in Pitch.get_attributes().items()
    if attr.attr_name
    in {
        "title",
        "logline",
        "genre",
        "format",
        "status",
        "shortSynopsis",
        "longSynopsis",
        "themes",
        "targetAudience",
        "budgetCents",
        "seekingInvestment",
        "fundingGoalCents",
        "minInvestmentCents",
        "requiresNDA",
        "ndaType",
        "customNdaText",
        "ndaTemplateId",
    }
}


# --- reading and rendering --------------------------------------------------------------------------
def seconds(timestamp: str | None) -> str | None:
    """Stored timestamps keep microseconds (they are sort keys); the API shows seconds."""
    return clock.iso(clock.from_iso(timestamp)) if timestamp else None


MAX_ID_LENGTH = 128  # ids we issue are 32 characters; longer ones cannot exist (and DynamoDB caps keys)


def find(pitch_id: str) -> Pitch | None:
    if not 0 < len(pitch_id) <= MAX_ID_LENGTH:
        return None
    try:
        return Pitch.get(pitch_id, consistent_read=True)
    except Pitch.DoesNotExist:
        return None


def load_owned(user_id: str, pitch_id: str) -> Pitch:
    pitch = find(pitch_id)
    if pitch is None or pitch.creator_id != user_id:
        raise NotFound("Pitch not found")
    return pitch


def load_visible(pitch_id: str, user_id: str | None) -> Pitch:
    """The pitch if the caller may see it at all: published, or theirs."""
    return _visible(find(pitch_id), user_id)


def _visible(pitch: Pitch | None, user_id: str | None) -> Pitch:
    if pitch is None or (pitch.status != "published" and pitch.creator_id != user_id):
        raise NotFound("Pitch not found")
    return pitch


def can_view_protected(pitch: Pitch, user_id: str | None, *, signed: bool | None = None) -> bool:
    """The owner, anyone for a pitch without an NDA, and a holder of a signed NDA (`signed`, when the caller
    already read the grant; else it is read here)."""
    if user_id is not None and user_id == pitch.creator_id:
        return True
    if not pitch.requires_nda:
        return True
    if user_id is None:
        return False
    return access.has_signed_nda(user_id, pitch.id) if signed is None else signed


def load_for_viewing(pitch_id: str, user_id: str | None) -> tuple[Pitch, bool]:
    """`load_visible` and `can_view_protected` together: for a signed-in caller the pitch and their NDA
    grant come in one BatchGetItem round trip."""
    if user_id is None or not 0 < len(pitch_id) <= MAX_ID_LENGTH:
        pitch = load_visible(pitch_id, user_id)
        return pitch, can_view_protected(pitch, user_id)
    found, grant = get_many((Pitch, pitch_id), access.grant_lookup(user_id, pitch_id))
    pitch = _visible(found, user_id)
    return pitch, can_view_protected(pitch, user_id, signed=access.grants(grant))


def visible_media(pitch: Pitch, *, owner: bool, protected: bool) -> list[MediaFile]:
    """Owners see their uploads in progress; others see finished uploads, protected ones only with access."""
    return [
        media
        for media in pitch.media or []
        if (owner or media.status == "ready") and (protected or not media.protected)
    ]


def media_to_api(media: MediaFile) -> dict[str, Any]:
    return {
        "id": media.id,
        "kind": media.kind,
        "fileName": media.file_name,
        "contentType": media.content_type,
        "sizeBytes": media.size_bytes,
        "protected": media.protected,
        "status": media.status,
        "createdAt": seconds(media.created_at),
    }


def to_api(pitch: Pitch, *, viewer_id: str | None, protected: bool) -> dict[str, Any]:
    owner = viewer_id is not None and viewer_id == pitch.creator_id
    data: dict[str, Any] = {
        "id": pitch.id,
        "creatorId": pitch.creator_id,
        "title": pitch.title,
        "logline": pitch.logline,
        "genre": pitch.genre,
        "format": pitch.format,
        "status": pitch.status,
        "shortSynopsis": pitch.short_synopsis,
    }
    if protected:
        data["longSynopsis"] = pitch.long_synopsis
    data.update(themes=list(pitch.themes or []), targetAudience=pitch.target_audience)
    if protected:
        data["budgetCents"] = pitch.budget_cents
    data.update(
        {
            "seekingInvestment": pitch.seeking_investment,
            "fundingGoalCents": pitch.funding_goal_cents,
            "fundingRaisedCents": pitch.funding_raised_cents,
            "minInvestmentCents": pitch.min_investment_cents,
            "requiresNDA": pitch.requires_nda,
            "ndaType": pitch.nda_type,
            "ndaTemplateId": pitch.nda_template_id,
            "viewCount": pitch.view_count,
            "likeCount": pitch.like_count,
            "followerCount": pitch.follower_count,
            "media": [media_to_api(m) for m in visible_media(pitch, owner=owner, protected=protected)],
            "createdAt": seconds(pitch.created_at),
            "updatedAt": seconds(pitch.updated_at),
            "publishedAt": seconds(pitch.published_at),
            "canViewProtected": protected,
            "inProduction": bool(pitch.production_count),
        }
    )
    if owner:
        data["customNdaText"] = pitch.custom_nda_text
    return data


def render(pitch: Pitch, viewer_id: str | None) -> dict[str, Any]:
    return to_api(pitch, viewer_id=viewer_id, protected=can_view_protected(pitch, viewer_id))


def render_many(pitches: list[Pitch], viewer_id: str) -> list[dict[str, Any]]:
    """`render` for a list: the NDA grants of its pitches in one BatchGetItem (ndas.access.signed_among)."""
    needed = [p.id for p in pitches if p.requires_nda and p.creator_id != viewer_id]
    signed = access.signed_among(viewer_id, needed) if needed else set()
    protected = {p.id for p in pitches if p.id in signed or not p.requires_nda or p.creator_id == viewer_id}
    return [to_api(p, viewer_id=viewer_id, protected=p.id in protected) for p in pitches]


def render_page(page: Page[Pitch], viewer_id: str) -> Page[dict[str, Any]]:
    return Page(render_many(page.items, viewer_id), page.next_cursor, page.number, page.limit)


def render_anonymous(pitch: Pitch) -> dict[str, Any]:
    """Public lists: the view of a caller without an account (no NDA lookups per item)."""
    return to_api(pitch, viewer_id=None, protected=not pitch.requires_nda)


# --- create -----------------------------------------------------------------------------------------------
def create_pitch(user_id: str, body: CreatePitch) -> dict[str, Any]:
    fields = body.model_dump(by_alias=True)
    problems = rules.funding_problems(fields)
    if problems:
        raise ValidationFailed("Request validation failed", details=problems)
    if fields["requiresNDA"] and not fields["ndaType"]:
        fields["ndaType"] = "basic"
    _check_nda_template(user_id, fields["ndaTemplateId"])
    now = clock.iso_precise()
    pitch = Pitch(
        new_id(),
        creator_id=user_id,
        status="draft",
        created_at=now,
        updated_at=now,
        version=1,
        media=[],
        search_title=fields["title"].lower(),
        search_logline=fields["logline"].lower(),
        **{WRITABLE[field]: value for field, value in fields.items() if value is not None},
    )
    pitch.save(condition=Pitch.id.does_not_exist())
    logger.info("pitch created", extra={"pitch_id": pitch.id})
    return to_api(pitch, viewer_id=user_id, protected=True)


def _check_nda_template(creator_id: str, template_id: str | None) -> None:
    """A pitch's default NDA template must be a standard one or the creator's own (else 422)."""
    if template_id is not None and not access.template_available(creator_id, template_id):
        raise ValidationFailed.field("ndaTemplateId", "No such NDA template: use a standard one or your own")


def follower_count_actions(delta: int) -> list[Any]:
    """The updates to a Pitch when it gains (`delta` 1) or loses (-1) a follower: its counter and the
    attention score that counter feeds (for the follows context's transaction)."""
    return [Pitch.follower_count.add(delta), Pitch.popularity.add(delta * rules.FOLLOW_WEIGHT)]


def production_count_actions(delta: int) -> list[Any]:
    """The update to a Pitch when a production project on it becomes active or paused (`delta` 1) or stops
    being so (-1), for the production context's transaction: the counter behind `inProduction`."""
    return [Pitch.production_count.add(delta)]


# --- view ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Viewer:
    """Who counts as one viewer. `ip` is set for anonymous viewers only: their views are capped per IP."""

    key: str
    ip: str | None = None


def viewer_key(user_id: str | None, source_ip: str, session_id: str | None = None) -> Viewer:
    """The account; for anonymous callers the source IP, with the client's session id where it sends a
    well-formed one (X-Session-Id), so several people behind one address can each count. The User-Agent
    plays no part: changing it must not make a new viewer."""
    if user_id:
        return Viewer(f"user:{user_id}")
    session = session_id if session_id and _SESSION_ID.match(session_id) else "-"
    digest = hashlib.sha256(f"{source_ip}|{session}".encode()).hexdigest()[:32]
    return Viewer(f"anon:{digest}", ip=source_ip)


def view_pitch(pitch_id: str, user_id: str | None, viewer: Viewer) -> dict[str, Any]:
    pitch, protected = load_for_viewing(pitch_id, user_id)
    owner = user_id == pitch.creator_id
    storage.refresh_pending(pitch, visible_media(pitch, owner=True, protected=protected))
    if not owner:
        count_view(pitch, viewer)
    return to_api(pitch, viewer_id=user_id, protected=protected)


def count_view(pitch: Pitch, viewer: Viewer) -> bool:
    """At most one counted view per viewer per 30 minutes (a conditional put of a TTL'd marker, then ADD),
    and at most ANON_VIEWS_PER_IP anonymous ones per IP per pitch in that time, so one client cannot make a
    pitch trend by inventing viewers."""
    now = clock.epoch()
    marker = PitchView(f"{pitch.id}#{viewer.key}", ttl=now + VIEW_DEDUPE_SECONDS)
    try:
        # TTL deletion is lazy, so an expired marker still present counts as absent.
        marker.save(condition=PitchView.key.does_not_exist() | (PitchView.ttl < now))
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    if viewer.ip is not None:
        seen = ratelimit.count_in_window("anon-views", f"{pitch.id}#{viewer.ip}", VIEW_DEDUPE_SECONDS)
        if seen > ANON_VIEWS_PER_IP:
            return False
    pitch.update(
        actions=[Pitch.view_count.add(1), Pitch.popularity.add(rules.VIEW_WEIGHT)],
        condition=Pitch.id.exists(),
    )
    return True


# --- update, archive, history -------------------------------------------------------------------------
def _state(pitch: Pitch) -> dict[str, Any]:
    state = {field: getattr(pitch, name) for field, name in WRITABLE.items()}
    state["themes"] = list(pitch.themes or [])
    return state


def _normalise(requested: Mapping[str, Any]) -> dict[str, Any]:
    changes = dict(requested)
    if "themes" in changes and changes["themes"] is None:
        changes["themes"] = []
    return changes


def _actions(pitch: Pitch, after: dict[str, Any], changed: Mapping[str, Any], now: str) -> list[Any]:
    actions: list[Any] = []
    for field in changed:
        attribute = getattr(Pitch, WRITABLE[field])
        value = after[field]
        actions.append(attribute.remove() if value is None or value == [] else attribute.set(value))
    if "title" in changed:
        actions.append(Pitch.search_title.set(after["title"].lower()))
    if "logline" in changed:
        actions.append(Pitch.search_logline.set(after["logline"].lower()))
    # The sparse browse-index keys follow the status (and genre/format while published).
    if after["status"] == "published":
        actions += [
            Pitch.pub_key.set(PUBLISHED_PARTITION),
            Pitch.pub_genre.set(after["genre"]),
            Pitch.pub_format.set(after["format"]),
            Pitch.pub_creator.set(pitch.creator_id),
        ]
        if not pitch.published_at:
            actions.append(Pitch.published_at.set(now))
        actions.append(Pitch.feat_rank.set(feature_rank(pitch.featured_at, pitch.published_at or now)))
    elif pitch.pub_key:
        actions += _unpublished_actions()
    actions += [Pitch.updated_at.set(now), Pitch.version.set(pitch.version + 1)]
    return actions


def _unpublished_actions() -> list[Any]:
    """Out of every browse index (the sparse keys exist only while published)."""
    return [
        Pitch.pub_key.remove(),
        Pitch.pub_genre.remove(),
        Pitch.pub_format.remove(),
        Pitch.pub_creator.remove(),
        Pitch.feat_rank.remove(),
    ]


def _plan(pitch: Pitch, requested: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate a partial change against the pitch as it is: (changes {field: {from, to}}, state after)."""
    before = _state(pitch)
    changes = {
        field: {"from": before[field], "to": value}
        for field, value in requested.items()
        if before[field] != value
    }
    if "status" in changes and not rules.can_transition(before["status"], changes["status"]["to"]):
        raise Conflict(
            f"A pitch cannot move from {before['status']} to {changes['status']['to']}",
            code="INVALID_TRANSITION",
        )
    if pitch.moderation_hidden and changes.get("status", {}).get("to") == "published":
        raise Conflict("This pitch was hidden by a moderator", code="HIDDEN_BY_MODERATION")
    if changes.get("status", {}).get("to") == "archived":
        from pitchey.investments.queries import has_open_investments

        if has_open_investments(pitch.id):
            raise Conflict("The pitch has investments in progress", code="HAS_INVESTMENTS")
    if "ndaTemplateId" in changes:
        _check_nda_template(pitch.creator_id, changes["ndaTemplateId"]["to"])
    after = {**before, **{field: change["to"] for field, change in changes.items()}}
    if after["requiresNDA"] and not after["ndaType"]:
        changes["ndaType"] = {"from": before["ndaType"], "to": "basic"}
        after["ndaType"] = "basic"
    publishing = after["status"] == "published"
    problems = rules.publish_problems(after) if publishing else rules.funding_problems(after)
    if problems:
        message = "Pitch cannot be published" if publishing else "Invalid pitch"
        raise ValidationFailed(message, details=problems)
    return changes, after


def _write(pitch: Pitch, user_id: str, changes: dict[str, Any], after: dict[str, Any]) -> None:
    """The pitch update (conditional on the version read) and its history entry, in one transaction.
    TransactionCancelled naming "pitch" when another edit landed first."""
    now = clock.iso_precise()
    actions = _actions(pitch, after, changes, now)
    entry = PitchHistory(pitch.id, f"{now}#{new_id()}", at=now, actor_id=user_id, changes=changes)

    def write(transaction: Transaction) -> None:
        transaction.update("pitch", pitch, actions, condition=Pitch.version == pitch.version)
        transaction.put("history", entry)

    transact(write)


def _apply(user_id: str, pitch_id: str, requested: Mapping[str, Any]) -> Pitch:
    """Apply a partial change. If another edit got in first, re-read and re-validate against the new state,
    so concurrent edits are applied one after the other and none is lost."""
    requested = _normalise(requested)

    def attempt() -> Pitch:
        pitch = load_owned(user_id, pitch_id)
        was_published = pitch.status == "published"
        changes, after = _plan(pitch, requested)
        if not changes:
            return pitch
        _write(pitch, user_id, changes, after)
        updated = load_owned(user_id, pitch_id)
        if was_published or updated.status == "published":
            followers = _followers(updated)
            _notify_followers(updated, user_id, changes, followers, newly_published=not was_published)
            _record_activity(updated, user_id, newly_published=not was_published)
            if not was_published:
                feed.published(updated, followers)
            elif updated.status != "published":
                feed.unpublished(updated, followers)
        return updated

    message = "The pitch is being changed by another request; try again"
    return optimistic(attempt, item="pitch", attempts=_UPDATE_ATTEMPTS, message=message)


def _followers(pitch: Pitch) -> list[str]:
    """The followers of the pitch and its creator, read once for their notifications and feeds ([] when the
    read fails: both are best effort)."""
    try:
        return feed.followers_of(pitch)
    except Exception:
        logger.exception("reading the followers failed", extra={"pitch_id": pitch.id})
        return []


def _notify_followers(
    pitch: Pitch,
    actor_id: str,
    changes: Mapping[str, Any],
    followers: list[str],
    *,
    newly_published: bool,
) -> None:
    """Followers of the pitch and of its creator hear about changes the public can see. Best effort: the
    change is already stored, so a failed fan-out is logged rather than failing the request."""
    from pitchey.notifications.service import notify_many

    try:
        recipients = [user for user in followers if user != actor_id]
        if not recipients:
            return
        title = "New pitch published" if newly_published else "Pitch updated"
        body = f'"{pitch.title}" was {"published" if newly_published else "updated"}'
        data = {"pitchId": pitch.id, "status": pitch.status, "fields": sorted(changes)}
        notify_many(recipients, "pitch_update", title, body, data)
    except Exception:
        logger.exception("pitch_update fan-out failed", extra={"pitch_id": pitch.id})


def _record_activity(pitch: Pitch, actor_id: str, *, newly_published: bool) -> None:
    """The following feed of the pitch's and creator's followers (activity context, best effort)."""
    from pitchey.activity import service as activity

    kind = "pitch_published" if newly_published else "pitch_updated"
    verb = "published" if newly_published else "updated"
    activity.record(
        kind,
        pitch_id=pitch.id,
        creator_id=pitch.creator_id,
        actor_id=actor_id,
        summary=f'"{pitch.title}" was {verb}',
    )


# --- moderation (called by pitchey.admin for an administrator) ----------------------------------------
def _moderate(pitch_id: str, plan: Callable[[Pitch], tuple[list[Any], dict[str, Any]] | None]) -> Pitch:
    """One optimistic write of `plan(pitch)` = (actions, history changes), kept in the pitch's history."""

    def attempt() -> Pitch:
        pitch = find(pitch_id)
        if pitch is None or pitch.status == "archived":
            raise NotFound("Pitch not found")
        planned = plan(pitch)
        if planned is None:
            return pitch
        actions, changes = planned
        now = clock.iso_precise()
        actions += [Pitch.updated_at.set(now), Pitch.version.set(pitch.version + 1)]
        entry = PitchHistory(pitch.id, f"{now}#{new_id()}", at=now, actor_id="moderation", changes=changes)

        def write(transaction: Transaction) -> None:
            transaction.update("pitch", pitch, actions, condition=Pitch.version == pitch.version)
            transaction.put("history", entry)

        transact(write)
        return find(pitch_id) or pitch

    return optimistic(attempt, item="pitch", attempts=_UPDATE_ATTEMPTS)


def hide_by_moderation(pitch_id: str) -> Pitch:
    """Hidden from everyone but its owner, who cannot publish it again (409 HIDDEN_BY_MODERATION)."""

    def plan(pitch: Pitch) -> tuple[list[Any], dict[str, Any]] | None:
        if pitch.moderation_hidden:
            return None
        actions: list[Any] = [Pitch.moderation_hidden.set(True)]
        changes: dict[str, Any] = {}
        if pitch.status == "published":
            actions += [Pitch.status.set("hidden"), *_unpublished_actions()]
            changes["status"] = {"from": "published", "to": "hidden"}
        return actions, changes

    return _moderate(pitch_id, plan)


def set_featured(pitch_id: str, featured: bool) -> Pitch:
    """Featured pitches lead browse?sort=featured. Only a published pitch can be featured (409)."""

    def plan(pitch: Pitch) -> tuple[list[Any], dict[str, Any]] | None:
        if bool(pitch.featured_at) == featured:
            return None
        if featured and pitch.status != "published":
            raise Conflict("Only a published pitch can be featured", code="NOT_PUBLISHED")
        featured_at = clock.iso_precise() if featured else None
        actions = [Pitch.featured_at.set(featured_at) if featured_at else Pitch.featured_at.remove()]
        if pitch.status == "published":
            actions.append(Pitch.feat_rank.set(feature_rank(featured_at, pitch.published_at)))
        return actions, {"featured": {"from": not featured, "to": featured}}

    return _moderate(pitch_id, plan)


def update_pitch(user_id: str, pitch_id: str, body: UpdatePitch) -> dict[str, Any]:
    return to_api(_apply(user_id, pitch_id, body.changes()), viewer_id=user_id, protected=True)


def archive_pitch(user_id: str, pitch_id: str) -> dict[str, Any]:
    """DELETE: archive (idempotent), refused while an investment is in progress, as `status: archived` is."""
    return to_api(_apply(user_id, pitch_id, {"status": "archived"}), viewer_id=user_id, protected=True)


def history(user_id: str, pitch_id: str, page: PageRequest) -> Page[PitchHistory]:
    load_owned(user_id, pitch_id)
    return query_page(
        PitchHistory,
        lambda **kw: PitchHistory.query(pitch_id, scan_index_forward=False, **kw),
        ("pitchId", "sk"),
        page=page,
        scope=f"history|{pitch_id}",
    )


def history_to_api(entry: PitchHistory) -> dict[str, Any]:
    return {"at": seconds(entry.at), "changes": entry.changes}


# --- lists ------------------------------------------------------------------------------------------------
def my_pitches(user_id: str, page: PageRequest) -> Page[Pitch]:
    return query_page(
        Pitch,
        lambda **kw: Pitch.by_creator.query(user_id, scan_index_forward=False, **kw),
        ("id", "creatorId", "createdAt"),
        page=page,
        scope=f"my|{user_id}",
    )


@dataclass(frozen=True)
class BrowseFilters:
    genre: str | None = None
    format: str | None = None
    seeking_investment: bool | None = None
    q: str | None = None  # already lowercased
    sort: str = "newest"


def browse(filters: BrowseFilters, page: PageRequest) -> Page[Pitch]:
    """Published pitches only, each once across pages. Newest: the most selective published index (by genre,
    by format, or all); popular: the popularity index; featured: featured first, then newest (featuredFirst).
    Remaining filters are a FilterExpression."""
    conditions = []
    if filters.sort in ("popular", "featured"):
        if filters.sort == "popular":
            index, keys = Pitch.popular, ("id", "pubKey", "popularity")
        else:
            index, keys = Pitch.featured_first, ("id", "pubKey", "featRank")
        partition = PUBLISHED_PARTITION
        if filters.genre:
            conditions.append(Pitch.genre == filters.genre)
        if filters.format:
            conditions.append(Pitch.format == filters.format)
    elif filters.genre:
        index, partition, keys = Pitch.published_by_genre, filters.genre, ("id", "pubGenre", "publishedAt")
        if filters.format:
            conditions.append(Pitch.format == filters.format)
    elif filters.format:
        index, partition, keys = Pitch.published_by_format, filters.format, ("id", "pubFormat", "publishedAt")
    else:
        index, partition, keys = Pitch.published, PUBLISHED_PARTITION, ("id", "pubKey", "publishedAt")
    if filters.seeking_investment is not None:
        conditions.append(Pitch.seeking_investment == filters.seeking_investment)
    if filters.q:
        conditions.append(Pitch.search_title.contains(filters.q) | Pitch.search_logline.contains(filters.q))
    condition = None
    for part in conditions:
        condition = part if condition is None else condition & part
    scope = f"browse|{filters}"  # a cursor only continues the exact list that issued it
    return query_page(
        Pitch,
        lambda **kw: index.query(partition, scan_index_forward=False, filter_condition=condition, **kw),
        keys,
        page=page,
        scope=scope,
        filtered=condition is not None,
    )
