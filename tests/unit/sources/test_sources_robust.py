"""Any JSON at all: a page parser returns items or raises MalformedPage, never anything else."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import load
from sentinelle.model import Post, Profile
from sentinelle.sources import bluesky, mastodon, reddit, x, youtube
from sentinelle.sources.common import MalformedPage

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)

CASES = [
    (mastodon.parse_page, "statuses", "mastodon/tag_timeline_page1.json"),
    (mastodon.parse_page, "search", "mastodon/search_accounts.json"),
    (mastodon.parse_page, "account", "mastodon/account_lookup.json"),
    (bluesky.parse_page, "searchPosts", "bluesky/searchPosts_page1.json"),
    (bluesky.parse_page, "getAuthorFeed", "bluesky/getAuthorFeed.json"),
    (bluesky.parse_page, "searchActors", "bluesky/searchActors.json"),
    (bluesky.parse_page, "getProfile", "bluesky/getProfile.json"),
    (reddit.parse_page, "search", "reddit/search_page1.json"),
    (reddit.parse_page, "user_about", "reddit/user_about.json"),
    (x.parse_page, "search_recent", "x/search_recent_page1.json"),
    (x.parse_page, "user", "x/user.json"),
    (youtube.parse_page, "search", "youtube/search_videos_page1.json"),
    (youtube.parse_page, "channels", "youtube/channels.json"),
    (youtube.parse_page, "playlist_items", "youtube/playlist_items.json"),
]
IDS = [f"{parse.__module__.rsplit('.', 1)[-1]}-{endpoint}" for parse, endpoint, _ in CASES]


def _check(parse, endpoint, body):
    try:
        items, skipped, cursor = parse(endpoint, body)
    except MalformedPage:
        return
    assert all(isinstance(i, (Post, Profile)) for i in items)
    assert isinstance(skipped, int) and skipped >= 0
    assert cursor is None or isinstance(cursor, str)


@pytest.mark.parametrize("parse,endpoint,fixture", CASES, ids=IDS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=JSON)
def test_arbitrary_json(parse, endpoint, fixture, junk):
    _check(parse, endpoint, junk)


@pytest.mark.parametrize("created", [1e300, -1e300, 2**63, 1e18])
def test_a_timestamp_no_clock_can_show_skips_the_item(created):
    body = load("reddit/user_about.json")
    body["data"]["created_utc"] = created
    assert reddit.parse_page("user_about", body) == ([], 1, None)


def _paths(value, path=()):
    """Every place inside a document where a value could be replaced."""
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


@pytest.mark.parametrize("parse,endpoint,fixture", CASES, ids=IDS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_documented_page_with_one_field_replaced(parse, endpoint, fixture, data):
    body = load(fixture)
    paths = list(_paths(body))
    path = data.draw(st.sampled_from(paths[1:]))
    junk = data.draw(JSON)
    doc = copy.deepcopy(body)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = junk
    _check(parse, endpoint, doc)
