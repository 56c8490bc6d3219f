"""The following feed (`GET /api/pitches/following`), fanned out on write to FollowingFeedTable.

A follower's feed holds one entry per published pitch they reach by following its creator or the pitch.
Entries are written when a pitch is published (to every follower of the pitch and of its creator) and when
a follow is made (the creator's published pitches, or the pitch), and removed when the owner unpublishes or
archives a pitch and when a follow is undone (unless the other follow still reaches the pitch). Reading a
page is then one Query and one BatchGetItem of the pitches, whatever the number of follows (the k-way merge
it replaces made one Query per followed creator). Pitches that stopped being published by another way
(moderation, account erasure) are left out when read. docs/performance.md says why fan-out on write.

Every write here runs after the change that causes it is stored and is best effort (logged, the change
stands), like the followers' notifications. Both sides write first and read second, so a follow racing a
publish is seen by at least one of them.
"""

from __future__ import annotations

from collections.abc import Iterable

from pitchey.core.db import Page, PageRequest, query_page
from pitchey.core.log import logger
from pitchey.follows.models import Follow, follower_ids, target_key
from pitchey.pitches.models import FeedEntry, Pitch, feed_sort_key


def followers_of(pitch: Pitch) -> list[str]:
    """Everyone following the pitch or its creator, each once."""
    return list(dict.fromkeys(follower_ids("pitch", pitch.id) + follower_ids("user", pitch.creator_id)))


def _write(entries: Iterable[tuple[str, Pitch]], *, delete: bool = False) -> None:
    with FeedEntry.batch_write() as batch:
        for user_id, pitch in entries:
            entry = FeedEntry(user_id, feed_sort_key(pitch), pitch_id=pitch.id)
            if delete:
                batch.delete(entry)
            else:
                batch.save(entry)


def published(pitch: Pitch, followers: list[str]) -> None:
    """A pitch became published (again): into the feed of each follower (idempotent puts)."""
    try:
        _write((user_id, pitch) for user_id in followers)
    except Exception:
        logger.exception("following feed fan-out failed", extra={"pitch_id": pitch.id})


def unpublished(pitch: Pitch, followers: list[str]) -> None:
    """The owner unpublished or archived a pitch: out of its followers' feeds."""
    if not pitch.published_at:
        return
    try:
        _write(((user_id, pitch) for user_id in followers), delete=True)
    except Exception:
        logger.exception("following feed removal failed", extra={"pitch_id": pitch.id})


def _published_by(creator_id: str) -> list[Pitch]:
    return list(Pitch.published_by_creator.query(creator_id, page_size=100))


def _find_published(pitch_id: str) -> Pitch | None:
    try:
        pitch = Pitch.get(pitch_id, consistent_read=True)
    except Pitch.DoesNotExist:
        return None
    return pitch if pitch.status == "published" else None


def followed(user_id: str, target_type: str, target_id: str) -> None:
    """A new follow: the creator's published pitches (all of them), or the pitch, into the user's feed."""
    try:
        if target_type == "user":
            _write((user_id, pitch) for pitch in _published_by(target_id))
        elif (pitch := _find_published(target_id)) is not None:
            _write([(user_id, pitch)])
    except Exception:
        logger.exception("following feed backfill failed", extra={"target_id": target_id})


def unfollowed(user_id: str, target_type: str, target_id: str) -> None:
    """A follow undone: the pitches it brought leave the feed, but those the user still follows directly
    (a pitch) or through its creator."""
    try:
        if target_type == "user":
            pitches = _published_by(target_id)
            keys = [(user_id, target_key("pitch", pitch.id)) for pitch in pitches]
            still = {follow.target_id for follow in Follow.batch_get(keys)} if keys else set()
            _write(((user_id, p) for p in pitches if p.id not in still), delete=True)
            return
        pitch = _find_published(target_id)
        if pitch is None:
            return
        try:
            Follow.get(user_id, target_key("user", pitch.creator_id), consistent_read=True)
        except Follow.DoesNotExist:
            _write([(user_id, pitch)], delete=True)
    except Exception:
        logger.exception("following feed removal failed", extra={"target_id": target_id})


def following_feed(user_id: str, page: PageRequest) -> Page[Pitch]:
    """Newest published pitches by the creators and pitches the user follows: one Query of the feed and one
    BatchGetItem of its pitches. A page can be short by the entries of pitches unpublished meanwhile."""
    result = query_page(
        FeedEntry,
        lambda **kw: FeedEntry.query(user_id, scan_index_forward=False, **kw),
        ("userId", "sk"),
        page=page,
        scope=f"following-feed|{user_id}",
    )
    ids = [entry.pitch_id for entry in result.items]
    found = {pitch.id: pitch for pitch in Pitch.batch_get(ids)} if ids else {}
    pitches = [found[i] for i in ids if i in found and found[i].status == "published"]
    return Page(pitches, result.next_cursor, result.number, result.limit)
