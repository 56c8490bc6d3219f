"""Browse (and its /public alias), trending and the following feed: published pitches only, each once."""

from __future__ import annotations

import pytest

from pitchey.analytics.aggregator import run as aggregate
from pitchey.analytics.service import trending_pitches
from pitchey.pitches import service as pitches
from pitchey.pitches.models import FeedEntry, Pitch
from tests.unit.accounts import make_user
from tests.unit.pitches_support import create_pitch, get_pitch, hit, published_pitch, update_pitch
from tests.unit.test_follows_api import unfollow
from tests.unit.test_investments_support import sign_nda


def browse(**query):
    return hit("pitches/browse", "GET", "/api/pitches/browse", None, query=query or None)


def browse_all(**query):
    """Every page of a browse, following nextCursor; returns (ids in order, page numbers)."""
    ids, pages, cursor = [], [], None
    while True:
        answer = browse(**query, **({"cursor": cursor} if cursor else {}))
        assert answer.status == 200, answer.body
        ids += [p["id"] for p in answer.data]
        pages.append(answer.body["metadata"]["page"])
        cursor = answer.body["metadata"]["nextCursor"]
        if cursor is None:
            return ids, pages


def test_browse_shows_published_pitches_only_newest_first(aws):
    owner = make_user()
    older = published_pitch(owner, title="Older")
    newer = published_pitch(owner, title="Newer")
    create_pitch(owner, title="Draft")
    hidden = published_pitch(owner, title="Hidden")
    update_pitch(owner, hidden["id"], status="hidden")
    archived = published_pitch(owner, title="Archived")
    hit("pitches/delete", "DELETE", "/", owner, path_params={"id": archived["id"]})
    answer = browse()
    assert [p["title"] for p in answer.data] == ["Newer", "Older"]
    assert [p["id"] for p in answer.data] == [newer["id"], older["id"]]
    assert answer.body["metadata"] == {"page": 1, "limit": 20, "total": None, "nextCursor": None}


def test_pagination_returns_each_published_pitch_exactly_once(aws):
    owner = make_user()
    published = [published_pitch(owner, title=f"P{n}")["id"] for n in range(7)]
    for n in range(3):
        create_pitch(owner, title=f"Draft {n}")
    ids, pages = browse_all(limit="3")
    assert ids == list(reversed(published))
    assert pages == [1, 2, 3]
    ids, _ = browse_all(limit="7")  # a page that ends exactly at the end has no next cursor
    assert ids == list(reversed(published))


def test_popular_pagination_with_equal_scores_returns_each_once(aws):
    owner = make_user()
    published = {published_pitch(owner, title=f"P{n}")["id"] for n in range(6)}
    ids, _ = browse_all(limit="4", sort="popular")
    assert sorted(ids) == sorted(published) and len(ids) == 6


def test_popular_sorts_by_attention(aws):
    owner = make_user()
    quiet = published_pitch(owner, title="Quiet")
    viewed = published_pitch(owner, title="Viewed")
    liked = published_pitch(owner, title="Liked")
    for _ in range(3):
        get_pitch(make_user("investor"), viewed["id"])
    liker = make_user("investor")
    assert hit("pitches/like", "POST", "/", liker, path_params={"id": liked["id"]}).status == 200
    answer = browse(sort="popular")
    assert [p["title"] for p in answer.data] == ["Liked", "Viewed", "Quiet"]
    assert [p["id"] for p in answer.data][-1] == quiet["id"]


def test_filters_by_genre_format_investment_and_text(aws):
    owner = make_user()
    a = published_pitch(owner, title="Ghost Ship", genre="horror", format="feature")
    b = published_pitch(owner, title="Laugh Track", genre="comedy", format="tv")
    c = published_pitch(
        owner,
        title="Money Pit",
        logline="A heist in the GHOST town bank.",
        genre="thriller",
        format="tv",
        seekingInvestment=True,
        fundingGoalCents=1_000_000,
    )
    create_pitch(owner, title="Ghost Draft", genre="horror")

    def titles(**query):
        answer = browse(**query)
        assert answer.status == 200, answer.body
        return {p["title"] for p in answer.data}

    assert titles(genre="horror") == {"Ghost Ship"}
    assert titles(format="tv") == {"Laugh Track", "Money Pit"}
    assert titles(format="tv", genre="comedy") == {"Laugh Track"}
    assert titles(seekingInvestment="true") == {"Money Pit"}
    assert titles(seekingInvestment="false") == {"Ghost Ship", "Laugh Track"}
    assert titles(q="gHoSt") == {"Ghost Ship", "Money Pit"}  # title or logline, any case
    assert titles(q="ghost", format="feature") == {"Ghost Ship"}
    assert titles(q="ghost", sort="popular", genre="thriller") == {"Money Pit"}
    assert titles(q="nothing like it") == set()
    assert {a["id"], b["id"], c["id"]} == {p["id"] for p in browse().data}


def test_filtered_pagination_returns_each_match_once(aws):
    owner = make_user()
    wanted = []
    for n in range(9):
        genre = "scifi" if n % 3 else "drama"
        pitch = published_pitch(owner, title=f"Star {n}" if n % 2 else f"Moon {n}", genre=genre)
        if genre == "scifi" and n % 2:
            wanted.append(pitch["id"])
    ids, _ = browse_all(limit="1", genre="scifi", q="star")
    assert ids == list(reversed(wanted))


def test_public_alias_serves_the_same_list(aws):
    published_pitch(make_user())
    alias = hit("pitches/browse", "GET", "/api/pitches/public", None)
    assert alias.status == 200 and alias.data == browse().data


def test_genre_change_moves_a_published_pitch_between_partitions(aws):
    owner = make_user()
    pitch = published_pitch(owner, genre="drama")
    assert update_pitch(owner, pitch["id"], genre="comedy").status == 200
    assert browse(genre="drama").data == []
    assert [p["id"] for p in browse(genre="comedy").data] == [pitch["id"]]


def test_browse_leaves_out_protected_fields_of_nda_pitches(aws):
    owner = make_user()
    published_pitch(owner, requiresNDA=True, longSynopsis="secret", budgetCents=1)
    published_pitch(owner, title="Open", longSynopsis="open")
    by_title = {p["title"]: p for p in browse().data}
    assert (
        "longSynopsis" not in by_title["The Long Night"] and "budgetCents" not in by_title["The Long Night"]
    )
    assert by_title["The Long Night"]["canViewProtected"] is False
    assert by_title["Open"]["longSynopsis"] == "open"


@pytest.mark.parametrize(
    "query",
    [
        {"genre": "musical"},
        {"format": "podcast"},
        {"seekingInvestment": "maybe"},
        {"sort": "best"},
        {"limit": "0"},
        {"limit": "101"},
        {"cursor": "not-a-cursor"},
        {"q": "x" * 101},
    ],
)
def test_invalid_filters_are_400(aws, query):
    answer = browse(**query)
    assert answer.status == 400 and answer.code == "BAD_REQUEST"


def test_a_cursor_only_continues_the_list_that_issued_it(aws):
    owner = make_user()
    for n in range(3):
        published_pitch(owner, title=f"P{n}", genre="drama")
    cursor = browse(limit="1", genre="drama").body["metadata"]["nextCursor"]
    assert browse(limit="1", genre="drama", cursor=cursor).status == 200
    assert browse(limit="1", genre="comedy", cursor=cursor).status == 400


def test_browse_never_scans(aws, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("Scan on a request path")

    monkeypatch.setattr(Pitch, "scan", classmethod(refuse))
    published_pitch(make_user())
    assert browse(q="night", seekingInvestment="false").status == 200
    assert browse(sort="popular").status == 200


# --- trending ---------------------------------------------------------------------------------------------
def test_trending_ranks_by_the_aggregated_views_and_likes(aws):
    owner = make_user()
    calm = published_pitch(owner, title="Calm")
    hot = published_pitch(owner, title="Hot")
    warm = published_pitch(owner, title="Warm")
    create_pitch(owner, title="Draft")
    track = {"eventType": "pitch_view", "pitchId": warm["id"]}
    assert hit("analytics/track", "POST", "/api/analytics/track", None, body=track).status == 202
    for _ in range(2):  # a like weighs 3 views: hot (2 likes = 6) > warm (1 view)
        hit("pitches/like", "POST", "/", make_user("investor"), path_params={"id": hot["id"]})
    aggregate()
    answer = hit("pitches/trending", "GET", "/api/pitches/trending", None, query={"limit": "2"})
    assert answer.status == 200
    assert [p["title"] for p in answer.data] == ["Hot", "Warm"]
    assert [p.id for p in trending_pitches(10)] == [hot["id"], warm["id"], calm["id"]]


def test_trending_fills_up_from_all_time_popularity_when_few_have_a_score(aws):
    owner = make_user()
    quiet = published_pitch(owner, title="Quiet")
    seen = published_pitch(owner, title="Seen")
    get_pitch(make_user("investor"), quiet["id"])  # all-time popularity only
    hit("analytics/track", "POST", "/", None, body={"eventType": "pitch_view", "pitchId": seen["id"]})
    aggregate()
    assert [p.id for p in trending_pitches(5)] == [seen["id"], quiet["id"]]


# --- following feed -----------------------------------------------------------------------------------
def follow(actor, target_type, target_id):
    body = {"targetType": target_type, "targetId": target_id}
    return hit("follows/follow", "POST", "/api/follows", actor, body=body)


def feed(actor, **query):
    return hit("pitches/following", "GET", "/api/pitches/following", actor, query=query or None)


def test_following_feed_has_pitches_of_followed_creators_and_followed_pitches(aws):
    followed_creator, other_creator, investor = make_user(), make_user(), make_user("investor")
    a1 = published_pitch(followed_creator, title="A1")
    create_pitch(followed_creator, title="A draft")
    b1 = published_pitch(other_creator, title="B1")
    published_pitch(other_creator, title="B2 not followed")
    a2 = published_pitch(followed_creator, title="A2")
    assert follow(investor, "user", followed_creator.id).status == 201
    assert follow(investor, "pitch", b1["id"]).status == 201
    answer = feed(investor)
    assert answer.status == 200
    assert [p["title"] for p in answer.data] == ["A2", "B1", "A1"]
    # pages of one, each pitch once
    ids, cursor = [], None
    while True:
        page = feed(investor, limit="1", **({"cursor": cursor} if cursor else {}))
        ids += [p["id"] for p in page.data]
        cursor = page.body["metadata"]["nextCursor"]
        if not cursor:
            break
    assert ids == [a2["id"], b1["id"], a1["id"]]
    # a followed pitch that is hidden drops out
    update_pitch(other_creator, b1["id"], status="hidden")
    assert [p["title"] for p in feed(investor).data] == ["A2", "A1"]
    assert feed(None).status == 401


def test_following_feed_is_empty_without_follows(aws):
    published_pitch(make_user())
    answer = feed(make_user("investor"))
    assert answer.status == 200 and answer.data == [] and answer.body["metadata"]["nextCursor"] is None


def feed_titles(actor):
    answer = feed(actor)
    assert answer.status == 200, answer.body
    return [p["title"] for p in answer.data]


def stored_entries(actor):
    return [entry.pitch_id for entry in FeedEntry.query(actor.id)]


def test_a_pitch_published_after_the_follow_is_fanned_out_to_the_followers(aws):
    creator, fan, other = make_user(), make_user("investor"), make_user("investor")
    assert follow(fan, "user", creator.id).status == 201
    draft = create_pitch(creator, title="Later", shortSynopsis="Synopsis.")
    assert feed_titles(fan) == [] and stored_entries(fan) == []
    assert update_pitch(creator, draft["id"], status="published").status == 200
    assert feed_titles(fan) == ["Later"]
    assert stored_entries(other) == []  # only followers get an entry
    # an edit of the published pitch shows at once (the feed stores ids; the pitch is read) and adds nothing
    assert update_pitch(creator, draft["id"], title="Later, edited").status == 200
    assert feed_titles(fan) == ["Later, edited"] and stored_entries(fan) == [draft["id"]]


def test_unpublishing_or_archiving_removes_the_entries_and_publishing_again_restores_them(aws):
    creator, fan = make_user(), make_user("investor")
    pitch = published_pitch(creator, title="Comes and goes")
    kept = published_pitch(creator, title="Stays")
    assert follow(fan, "user", creator.id).status == 201
    assert update_pitch(creator, pitch["id"], status="hidden").status == 200
    assert feed_titles(fan) == ["Stays"] and stored_entries(fan) == [kept["id"]]
    assert update_pitch(creator, pitch["id"], status="published").status == 200
    # publishedAt is the first publication: the pitch takes its old place, not the top
    assert feed_titles(fan) == ["Stays", "Comes and goes"]
    path = f"/api/pitches/{pitch['id']}"
    assert hit("pitches/delete", "DELETE", path, creator, path_params={"id": pitch["id"]}).status == 200
    assert feed_titles(fan) == ["Stays"] and stored_entries(fan) == [kept["id"]]


def test_a_pitch_hidden_by_moderation_is_left_out_when_read(aws):
    creator, fan = make_user(), make_user("investor")
    pitch = published_pitch(creator, title="Hidden")
    assert follow(fan, "pitch", pitch["id"]).status == 201
    pitches.hide_by_moderation(pitch["id"])
    assert stored_entries(fan) == [pitch["id"]]  # the moderation path does not read the followers
    assert feed_titles(fan) == []


def test_unfollowing_keeps_the_pitches_the_other_follow_still_reaches(aws):
    creator, fan = make_user(), make_user("investor")
    direct = published_pitch(creator, title="Followed itself")
    published_pitch(creator, title="Through the creator")
    assert follow(fan, "user", creator.id).status == 201
    assert follow(fan, "pitch", direct["id"]).status == 201
    assert sorted(feed_titles(fan)) == ["Followed itself", "Through the creator"]
    assert unfollow(fan, "user", creator.id).status == 200
    assert feed_titles(fan) == ["Followed itself"]
    assert follow(fan, "user", creator.id).status == 201
    assert unfollow(fan, "pitch", direct["id"]).status == 200
    assert sorted(feed_titles(fan)) == ["Followed itself", "Through the creator"]  # the creator reaches it
    assert unfollow(fan, "user", creator.id).status == 200
    assert feed_titles(fan) == [] and stored_entries(fan) == []
    assert unfollow(fan, "user", creator.id).status == 200  # not following: still fine, nothing changes


def test_the_feed_shows_protected_fields_only_with_a_signed_nda(aws):
    creator, fan = make_user(), make_user("investor")
    open_pitch = published_pitch(creator, title="Open", longSynopsis="Open long text")
    nda_pitch = published_pitch(creator, title="Secret", requiresNDA=True, longSynopsis="Secret long text")
    assert follow(fan, "user", creator.id).status == 201
    shown = {p["id"]: p for p in feed(fan).data}
    assert shown[open_pitch["id"]]["canViewProtected"] is True
    assert shown[open_pitch["id"]]["longSynopsis"] == "Open long text"
    assert shown[nda_pitch["id"]]["canViewProtected"] is False
    assert "longSynopsis" not in shown[nda_pitch["id"]]
    sign_nda(fan, creator, nda_pitch["id"])
    shown = {p["id"]: p for p in feed(fan).data}
    assert shown[nda_pitch["id"]]["canViewProtected"] is True
    assert shown[nda_pitch["id"]]["longSynopsis"] == "Secret long text"


def test_signed_among_reads_the_grants_of_more_pitches_than_one_batch_holds(aws):
    """Grants of 130 pitches (BatchGetItem takes 100 keys): signed ones count; an approved-only claim, an
    ended access period and another user's grant do not."""
    from pitchey.core import clock
    from pitchey.ndas import access
    from pitchey.ndas.models import OpenNdaClaim, open_claim_key

    creator, fan, other = make_user(), make_user("investor"), make_user("investor")
    pitch_ids = [f"p{n:03d}" for n in range(130)]
    for pitch_id in pitch_ids[::3]:
        sign_nda(fan, creator, pitch_id)
    approved_only = OpenNdaClaim(open_claim_key("p001", fan.id), nda_id="n-1", created_at="2026-01-01T00:00Z")
    approved_only.save()
    ended = OpenNdaClaim.get(open_claim_key("p129", fan.id))
    ended.update(actions=[OpenNdaClaim.access_ends_at.set(clock.epoch() - 1)])
    sign_nda(other, creator, "p002")
    assert access.signed_among(fan.id, pitch_ids) == set(pitch_ids[::3]) - {"p129"}
    assert access.signed_among(other.id, pitch_ids) == {"p002"}
