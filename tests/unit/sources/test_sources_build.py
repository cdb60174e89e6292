"""build_source: every documented spec builds its source; a bad spec names the key."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from conftest import MemoryCheckpoints, run
from sentinelle.ports import Query
from sentinelle.sources import SPECS, build_source, validate_spec
from sentinelle.sources.common import search_terms
from sentinelle.sources.health import consecutive_failures, record_source_status

FAKE = {"x_bearer_token": "b", "reddit_client_id": "i", "reddit_client_secret": "s", "youtube_api_key": "k",
        "bluesky_app_password": "p", "mastodon_token": "t"}


@pytest.mark.parametrize("spec,cls,name", [
    ({"type": "mastodon", "instance": "social.example"}, "MastodonSource", "mastodon:social.example"),
    ({"type": "mastodon", "instance": "https://Social.Example/", "token_secret": "mastodon_token", "name": "m"},
     "MastodonSource", "m"),
    ({"type": "bluesky", "identifier": "monitor.bsky.example"}, "BlueskySource", "bluesky"),
    ({"type": "reddit", "subreddit": "FakeGiveaways", "user_agent": "test:x:1 (by /u/y)"}, "RedditSource", "reddit"),
    ({"type": "x", "read_budget": 100, "max_pages": 2}, "XSource", "x"),
    ({"type": "youtube", "daily_quota": 500}, "YouTubeSource", "youtube"),
    ({"type": "rss", "url": "https://blog.example/feed.xml"}, "RssSource", "rss:https://blog.example/feed.xml"),
    ({"type": "replay", "path": "f.jsonl"}, "ReplaySource", "replay:f.jsonl"),
])
def test_each_type_builds(spec, cls, name):
    src = build_source(spec, base_dir=".", secrets=FAKE.get)
    assert type(src).__name__ == cls and src.name == name
    assert hasattr(src, "queries") and hasattr(src, "fetch")
    run(src.aclose())
    assert set(SPECS) == {"replay", "mastodon", "bluesky", "reddit", "x", "youtube", "rss"}


def test_instance_is_normalised():
    src = build_source({"type": "mastodon", "instance": "https://Social.Example/"}, secrets=FAKE.get)
    assert src.base == "https://social.example"
    run(src.aclose())


def test_missing_secret_is_reported_at_fetch_not_build():
    src = build_source({"type": "youtube"}, secrets=lambda name: None)
    result = run(src.fetch(Query(kind="search_posts", value="x"), None))
    assert (result.status, result.reason) == ("could_not_check", "credentials")
    run(src.aclose())


@pytest.mark.parametrize("spec,key", [
    ({}, "type"),
    ("mastodon", "mapping"),
    ({"type": "mastodon"}, "instance"),
    ({"type": "mastodon", "instance": "a.example", "tokens": "x"}, "tokens"),
    ({"type": "x", "read_budget": -1}, "read_budget"),
    ({"type": "x", "max_pages": 0}, "max_pages"),
    ({"type": "rss"}, "url"),
    ({"type": "rss", "url": "u", "query": {"kind": "hashtag"}}, "query.value"),
    ({"type": "youtube", "daily_quota": "lots"}, "daily_quota"),
])
def test_bad_specs_name_the_key(spec, key):
    with pytest.raises(ValueError, match=key):
        build_source(spec, secrets=FAKE.get)


def test_health_counts_consecutive_failing_runs_once_per_run():
    store = MemoryCheckpoints()
    t0 = datetime(2026, 11, 28, 9, tzinfo=timezone.utc)
    assert record_source_status(store, "x", "could_not_check", t0) == 1
    assert record_source_status(store, "x", "ok", t0) == 1  # another query of the same run
    assert record_source_status(store, "x", "could_not_check", t0) == 1  # the same run counts once
    t1 = t0 + timedelta(minutes=15)
    assert record_source_status(store, "x", "ok", t1) == 0  # so far this run is fine...
    assert record_source_status(store, "x", "could_not_check", t1) == 2  # ...until a query fails
    assert consecutive_failures(store, "x") == 2
    assert record_source_status(store, "x", "partial", t1 + timedelta(minutes=15)) == 0
    assert consecutive_failures(store, "other") == 0
    assert ("health", "x") in store.values


def test_a_query_the_source_does_not_serve_is_could_not_check():
    src = build_source({"type": "x"}, secrets=FAKE.get)
    result = run(src.fetch(Query(kind="search_profiles", value="Claire Dubois"), None))
    assert result.status == "could_not_check" and "not supported" in result.reason
    run(src.aclose())


def test_validate_spec_reads_no_secret_and_names_the_key():
    validate_spec({"type": "x", "read_budget": 10})
    validate_spec({"type": "replay", "path": "absent.jsonl", "platform": "bluesky", "endpoint": "searchActors"})
    with pytest.raises(ValueError, match="source replay: endpoint"):
        validate_spec({"type": "replay", "path": "a", "platform": "bluesky", "endpoint": "getPosts"})
    with pytest.raises(ValueError, match="source bluesky: identifer"):
        validate_spec({"type": "bluesky", "identifer": "typo.bsky.social"})


@pytest.mark.parametrize("query,terms", [
    (Query(kind="search_posts", value="Maison Lumière"), '"Maison Lumière"'),
    (Query(kind="search_posts", value=" MaisonLumiere "), "MaisonLumiere"),
    (Query(kind="search_posts", value='"already quoted" OR other'), '"already quoted" OR other'),
    (Query(kind="hashtag", value="#LumiereDays"), "#LumiereDays"),
    (Query(kind="hashtag", value="LumiereDays"), "#LumiereDays"),
])
def test_search_terms_quote_names_of_several_words(query, terms):
    assert search_terms(query) == terms


@pytest.mark.parametrize("spec,served,refused", [
    ({"type": "x"}, ["@SophieLaurentML", "a_b"], ["maisonlumiere@mastodon.social", "name.bsky.social", "x" * 16]),
    ({"type": "bluesky"}, ["maisonlumiere.bsky.social", "did:plc:abc123"], ["a@b.example", "ClaireDubois_LP"]),
    ({"type": "reddit"}, ["u/Lumiere_Team", "/u/abc", "abc-def"], ["a@b.example", "ab", "name.bsky.social"]),
    ({"type": "youtube"}, ["@maisonlumiere-live", "a.b_c"], ["a@b.example", "ab"]),
    ({"type": "mastodon", "instance": "mastodon.social"}, ["user@mastodon.social", "user"], ["user@other.example"]),
])
def test_account_queries_go_only_where_the_handle_could_live(spec, served, refused):
    src = build_source(spec, secrets=FAKE.get)
    for kind in ("profile", "account_posts"):
        assert all(src.queries([Query(kind=kind, value=v)]) for v in served)
        assert not any(src.queries([Query(kind=kind, value=v)]) for v in refused)
    run(src.aclose())
