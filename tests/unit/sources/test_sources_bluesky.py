"""Bluesky adapter: parser, cursor paging, session reuse and refresh, errors, taken-down accounts."""

from __future__ import annotations

import asyncio
import copy
import json

import httpx
import respx

from conftest import NOW, MemoryCheckpoints, instant_policy, load, run
from sentinelle.ports import Query
from sentinelle.model import Post, Profile
from sentinelle.sources.bluesky import BlueskySource, parse_page

PDS = "https://bsky.social/xrpc"
APPVIEW = "https://public.api.bsky.app/xrpc"
SEARCH = Query(kind="search_posts", value="Maison Lumière")


def source(**kw):
    kw.setdefault("policy", instant_policy())
    kw.setdefault("identifier", "monitor.bsky.example")
    kw.setdefault("app_password", "fake-app-password")
    return BlueskySource(**kw)


async def fetch(src, query, checkpoint=None):
    try:
        return await src.fetch(query, checkpoint)
    finally:
        await src.aclose()


def login_routes():
    login = respx.post(f"{PDS}/com.atproto.server.createSession").respond(200, json=load("bluesky/createSession.json"))
    refresh = respx.post(f"{PDS}/com.atproto.server.refreshSession").respond(
        200, json=load("bluesky/refreshSession.json"))
    return login, refresh


def test_parse_search_posts_facets_embed_and_web_url():
    items, skipped, cursor = parse_page("app.bsky.feed.searchPosts", load("bluesky/searchPosts_page1.json"))
    assert cursor == "25" and skipped == 0
    post = items[0]
    assert isinstance(post, Post) and post.id.startswith("at://did:plc:fakelumiere0001/")
    assert post.url == "https://bsky.app/profile/lumiere-help.bsky.social/post/3lqabc2def2x"
    assert post.links == ["https://lumiere-refund.example/"]
    assert post.hashtags == ["MaisonLumiere", "giveaway"] and post.lang == "fr"
    assert post.author.id == "did:plc:fakelumiere0001"
    assert items[1].links == ["https://blog.example/store"]


def test_parse_profiles_feed_and_malformed():
    (profile,), _, _ = parse_page("getProfile", load("bluesky/getProfile.json"))
    assert isinstance(profile, Profile) and profile.followers == 3 and profile.verified is False
    assert profile.links == ["https://lumiere-refund.example"]
    actors, skipped, cursor = parse_page("searchActors", load("bluesky/searchActors.json"))
    assert [a.verified for a in actors] == [None, True] and skipped == 1 and cursor == "2"
    feed, _, _ = parse_page("getAuthorFeed", load("bluesky/getAuthorFeed.json"))
    assert [p.id.rsplit("/", 1)[-1] for p in feed] == ["3lqown00001a"]  # the repost is left out
    posts, skipped, _ = parse_page("searchPosts", load("bluesky/searchPosts_malformed.json"))
    assert len(posts) == 2 and skipped == 1


@respx.mock
def test_login_then_cursor_paging_and_time_checkpoint():
    login, _ = login_routes()
    search = respx.get(f"{PDS}/app.bsky.feed.searchPosts").mock(side_effect=[
        httpx.Response(200, json=load("bluesky/searchPosts_page1.json")),
        httpx.Response(200, json=load("bluesky/searchPosts_page2.json")),
    ])
    cache = MemoryCheckpoints()
    result = run(fetch(source(session_cache=cache), SEARCH))
    assert result.status == "ok" and len(result.items) == 3 and login.call_count == 1
    assert search.calls[0].request.headers["Authorization"] == "Bearer fake-access-jwt-1"
    assert search.calls[1].request.url.params["cursor"] == "25"
    assert result.checkpoint == "2026-11-27T10:02:10.900000+00:00"
    stored = json.loads(cache.get_value("session", "bluesky:monitor.bsky.example"))
    assert stored["accessJwt"] == "fake-access-jwt-1"


@respx.mock
def test_session_is_reused_across_invocations():
    login, _ = login_routes()
    respx.get(f"{PDS}/app.bsky.feed.searchPosts").respond(200, json=load("bluesky/searchPosts_empty.json"))
    cache = MemoryCheckpoints()
    run(fetch(source(session_cache=cache), SEARCH))
    second = run(fetch(source(session_cache=cache), SEARCH, "2026-11-27T10:02:10.900000+00:00"))
    assert second.status == "ok" and second.items == [] and login.call_count == 1
    assert second.checkpoint == "2026-11-27T10:02:10.900000+00:00"


@respx.mock
def test_expired_access_token_is_refreshed_then_request_retried():
    login, refresh = login_routes()
    search = respx.get(f"{PDS}/app.bsky.feed.searchPosts").mock(side_effect=[
        httpx.Response(400, json=load("bluesky/expiredToken.json")),
        httpx.Response(200, json=load("bluesky/searchPosts_page2.json")),
    ])
    cache = {"session:bluesky:monitor.bsky.example": json.dumps(load("bluesky/createSession.json"))}

    class DictCache:
        def get_value(self, namespace, key):
            return cache.get(f"{namespace}:{key}")

        def put_value(self, namespace, key, value, now):
            cache[f"{namespace}:{key}"] = value

    result = run(fetch(source(session_cache=DictCache()), SEARCH))
    assert result.status == "ok" and len(result.items) == 1
    assert login.call_count == 0 and refresh.call_count == 1
    assert refresh.calls[0].request.headers["Authorization"] == "Bearer fake-refresh-jwt-1"
    assert search.calls[1].request.headers["Authorization"] == "Bearer fake-access-jwt-2"
    assert json.loads(cache["session:bluesky:monitor.bsky.example"])["accessJwt"] == "fake-access-jwt-2"


@respx.mock
def test_expired_refresh_token_falls_back_to_login():
    login, _ = login_routes()
    respx.post(f"{PDS}/com.atproto.server.refreshSession").respond(400, json=load("bluesky/expiredToken.json"))
    respx.get(f"{PDS}/app.bsky.feed.searchPosts").mock(side_effect=[
        httpx.Response(401, json=load("bluesky/expiredToken.json")),
        httpx.Response(200, json=load("bluesky/searchPosts_empty.json")),
    ])
    cache = MemoryCheckpoints()
    cache.put_value("session", "bluesky:monitor.bsky.example",
                         json.dumps(load("bluesky/createSession.json")), None)
    result = run(fetch(source(session_cache=cache), SEARCH))
    assert result.status == "ok" and login.call_count == 1


@respx.mock
def test_bad_app_password_is_could_not_check_credentials():
    respx.post(f"{PDS}/com.atproto.server.createSession").respond(401, json=load("bluesky/authFailed.json"))
    result = run(fetch(source(), SEARCH))
    assert (result.status, result.reason, result.checkpoint) == ("could_not_check", "credentials", None)


@respx.mock
def test_anonymous_search_403_is_credentials():
    respx.get(f"{APPVIEW}/app.bsky.feed.searchPosts").respond(403, json=load("bluesky/searchPosts_403.json"))
    result = run(fetch(source(identifier=None, app_password=None), SEARCH))
    assert (result.status, result.reason) == ("could_not_check", "credentials")


@respx.mock
def test_429_with_ratelimit_reset_then_success_once():
    login_routes()
    policy = instant_policy()
    respx.get(f"{PDS}/app.bsky.feed.searchPosts").mock(side_effect=[
        httpx.Response(429, json={"error": "RateLimitExceeded"},
                       headers={"RateLimit-Limit": "3000", "RateLimit-Remaining": "0",
                                "RateLimit-Reset": str(int(NOW) + 12)}),
        httpx.Response(200, json=load("bluesky/searchPosts_page2.json")),
    ])
    result = run(fetch(source(policy=policy), SEARCH))
    assert result.status == "ok" and len(result.items) == 1 and policy.waits == [12.5]


@respx.mock
def test_taken_down_profile_is_reported_not_crashed():
    respx.get(f"{APPVIEW}/app.bsky.actor.getProfile").respond(400, json=load("bluesky/getProfile_takedown.json"))
    q = Query(kind="profile", value="gone.bsky.social", platform="bluesky")
    result = run(fetch(source(identifier=None, app_password=None), q))
    assert result.status == "ok" and result.items == [] and result.reason == "account suspended"


@respx.mock
def test_author_feed_anonymously_and_hashtag_query():
    feed = respx.get(f"{APPVIEW}/app.bsky.feed.getAuthorFeed").respond(200, json={"feed": []})
    q = Query(kind="account_posts", value="@maisonlumiere.bsky.social", platform="bluesky")
    assert run(fetch(source(identifier=None, app_password=None), q)).status == "ok"
    assert feed.calls[0].request.url.params["actor"] == "maisonlumiere.bsky.social"
    login_routes()
    search = respx.get(f"{PDS}/app.bsky.feed.searchPosts").respond(200, json={"posts": []})
    run(fetch(source(), Query(kind="hashtag", value="MaisonLumiere")))
    assert search.calls[0].request.url.params["q"] == "#MaisonLumiere"


@respx.mock
def test_concurrent_queries_share_one_login_and_count_their_own_requests():
    login, _ = login_routes()
    respx.get(f"{PDS}/app.bsky.feed.searchPosts").respond(200, json=load("bluesky/searchPosts_page2.json"))
    src = source()
    queries = [Query(kind="search_posts", value=v) for v in ("a", "b", "c")]

    async def go():
        try:
            return await asyncio.gather(*(src.fetch(q, None) for q in queries))
        finally:
            await src.aclose()

    results = run(go())
    assert [r.status for r in results] == ["ok"] * 3 and login.call_count == 1
    assert sum(r.requests for r in results) == 4  # one login + three searches, each counted once
    assert sorted(r.requests for r in results)[:2] == [1, 1]


@respx.mock
def test_refused_login_is_not_retried_by_every_query():
    login = respx.post(f"{PDS}/com.atproto.server.createSession").respond(401, json=load("bluesky/authFailed.json"))
    src = source()

    async def go():
        try:
            return [await src.fetch(Query(kind="search_posts", value=v), None) for v in ("a", "b")]
        finally:
            await src.aclose()

    assert [r.reason for r in run(go())] == ["credentials", "credentials"] and login.call_count == 1


@respx.mock
def test_unreadable_checkpoint_is_ignored_not_fatal():
    login_routes()
    route = respx.get(f"{PDS}/app.bsky.feed.searchPosts").respond(200, json=load("bluesky/searchPosts_page2.json"))
    result = run(fetch(source(), SEARCH, "not-a-time"))
    assert result.status == "ok" and len(result.items) == 1 and "since" not in route.calls[0].request.url.params


@respx.mock
def test_bad_search_request_is_rejected_but_unknown_actor_is_not_found():
    login_routes()
    respx.get(f"{PDS}/app.bsky.feed.searchPosts").respond(400, json={"error": "InvalidRequest", "message": "q"})
    result = run(fetch(source(), SEARCH))
    assert (result.status, result.reason) == ("could_not_check", "http 400 InvalidRequest")
    respx.get(f"{APPVIEW}/app.bsky.actor.getProfile").respond(
        400, json={"error": "InvalidRequest", "message": "Profile not found"})
    q = Query(kind="profile", value="nobody.bsky.social", platform="bluesky")
    missing = run(fetch(source(identifier=None, app_password=None), q))
    assert (missing.status, missing.reason) == ("ok", "account not found")


def test_a_future_created_at_is_capped_by_indexed_at():
    view = load("bluesky/searchPosts_page1.json")["posts"][0]
    view["record"]["createdAt"] = "2031-01-01T00:00:00.000Z"
    (post,), _, _ = parse_page("searchPosts", {"posts": [view]})
    assert post.created_at.isoformat() == "2026-11-27T10:02:10.900000+00:00"  # its indexedAt


@respx.mock
def test_a_post_dated_in_the_future_does_not_become_the_checkpoint():
    login_routes()
    body = load("bluesky/searchPosts_page2.json")
    future = copy.deepcopy(body["posts"][0])
    future["uri"] = future["uri"][:-1] + "z"
    future["record"]["createdAt"] = future["indexedAt"] = "2031-01-01T00:00:00.000Z"  # a server clock gone wrong
    body["posts"].insert(0, future)
    respx.get(f"{PDS}/app.bsky.feed.searchPosts").respond(200, json=body)
    result = run(fetch(source(), SEARCH))
    assert len(result.items) == 2 and result.checkpoint == "2026-11-26T10:00:00+00:00"


@respx.mock
def test_calls_go_to_the_pds_named_in_the_session_did_document():
    respx.post(f"{PDS}/com.atproto.server.createSession").respond(200, json=load("bluesky/createSession_didDoc.json"))
    search = respx.get("https://pds.bsky.example/xrpc/app.bsky.feed.searchPosts").mock(side_effect=[
        httpx.Response(400, json=load("bluesky/expiredToken.json")),
        httpx.Response(200, json=load("bluesky/searchPosts_empty.json")),
    ])
    refresh = respx.post("https://pds.bsky.example/xrpc/com.atproto.server.refreshSession").respond(
        200, json=load("bluesky/refreshSession.json"))
    cache = MemoryCheckpoints()
    assert run(fetch(source(session_cache=cache), SEARCH)).status == "ok"
    assert search.call_count == 2 and refresh.call_count == 1
    stored = json.loads(cache.get_value("session", "bluesky:monitor.bsky.example"))
    assert stored["accessJwt"] == "fake-access-jwt-2"


@respx.mock
def test_a_session_another_worker_renewed_is_taken_not_refreshed_again():
    """Refresh tokens rotate: when another worker has renewed the shared session, this one uses it
    instead of refreshing with a spent token (and then logging in, which is rate-limited)."""
    login, refresh = login_routes()
    cache = MemoryCheckpoints()
    cache.put_value("session", "bluesky:monitor.bsky.example", json.dumps(load("bluesky/createSession.json")), None)
    renewed = {**load("bluesky/createSession.json"), "accessJwt": "fake-access-jwt-other",
               "refreshJwt": "fake-refresh-jwt-other"}

    def expired_meanwhile(request: httpx.Request) -> httpx.Response:
        cache.put_value("session", "bluesky:monitor.bsky.example", json.dumps(renewed), None)  # the other worker
        return httpx.Response(400, json=load("bluesky/expiredToken.json"))

    search = respx.get(f"{PDS}/app.bsky.feed.searchPosts").mock(side_effect=[
        expired_meanwhile, httpx.Response(200, json=load("bluesky/searchPosts_page2.json"))])
    result = run(fetch(source(session_cache=cache), SEARCH))
    assert result.status == "ok" and login.call_count == 0 and refresh.call_count == 0
    assert search.calls[1].request.headers["Authorization"] == "Bearer fake-access-jwt-other"
