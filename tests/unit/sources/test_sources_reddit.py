"""Reddit adapter: client-credentials token, Listings with `after`, suspended users, errors."""

from __future__ import annotations

import httpx
import respx

from conftest import instant_policy, load, run
from sentinelle.ports import Query
from sentinelle.model import Post, Profile
from sentinelle.sources.reddit import RedditSource, parse_page

API = "https://oauth.reddit.com"
SEARCH = Query(kind="search_posts", value="Maison Lumière")


def source(**kw):
    kw.setdefault("policy", instant_policy())
    kw.setdefault("client_id", "fake-id")
    kw.setdefault("client_secret", "fake-secret")
    kw.setdefault("user_agent", "test:sentinelle:1.0 (by /u/fake_ops)")
    return RedditSource(**kw)


async def fetch(src, query, checkpoint=None):
    try:
        return await src.fetch(query, checkpoint)
    finally:
        await src.aclose()


def token_route():
    return respx.post("https://www.reddit.com/api/v1/access_token").respond(200, json=load("reddit/token.json"))


def test_parse_listing_and_user():
    items, skipped, after = parse_page("search", load("reddit/search_page1.json"))
    assert after == "t3_1h2k3l4" and skipped == 0
    post = items[0]
    assert isinstance(post, Post) and post.id == "t3_1h2k3l5"
    assert post.url == "https://www.reddit.com/r/FakeGiveaways/comments/1h2k3l5/post/"
    assert post.links == ["https://lumiere-airdrop.example"] and post.hashtags == ["MaisonLumiere"]
    assert post.text.startswith("Maison Lumière 10th anniversary airdrop\n\nConnect wallet")
    assert post.created_at.year == 2025 and items[1].links == []  # a self post links to itself only
    (user,), _, _ = parse_page("user_about", load("reddit/user_about.json"))
    assert isinstance(user, Profile) and user.id == "t2_9zz8yy" and user.display_name == "Maison Lumière Official"
    assert user.avatar_url.endswith("profileIcon_a.png") and user.followers == 2
    assert parse_page("user_about", load("reddit/user_about_suspended.json")) == ([], 0, None)
    items, skipped, _ = parse_page("listing", load("reddit/search_malformed.json"))
    assert len(items) == 2 and skipped == 2


@respx.mock
def test_token_then_after_paging_and_checkpoint():
    token = token_route()
    search = respx.get(f"{API}/search").mock(side_effect=[
        httpx.Response(200, json=load("reddit/search_page1.json")),
        httpx.Response(200, json=load("reddit/search_page2.json")),
    ])
    src = source()
    result = run(fetch(src, SEARCH))
    assert result.status == "ok" and len(result.items) == 3 and token.call_count == 1
    assert search.calls[1].request.url.params["after"] == "t3_1h2k3l4"
    assert search.calls[0].request.headers["Authorization"] == "bearer fake-reddit-token"
    assert search.calls[0].request.url.params["q"] == '"Maison Lumière"'
    assert search.calls[0].request.headers["User-Agent"].startswith("test:sentinelle")
    assert token.calls[0].request.headers["Authorization"].startswith("Basic ")
    assert result.checkpoint == "2025-11-27T09:50:00+00:00"


@respx.mock
def test_checkpoint_stops_at_already_seen_posts_and_empty_listing():
    token_route()
    route = respx.get(f"{API}/search").respond(200, json=load("reddit/search_page1.json"))
    result = run(fetch(source(), SEARCH, "2025-11-27T09:33:20+00:00"))
    assert [i.id for i in result.items] == ["t3_1h2k3l5"] and route.call_count == 1
    respx.get(f"{API}/search").respond(200, json=load("reddit/empty.json"))
    empty = run(fetch(source(), SEARCH, "2025-11-27T09:50:00+00:00"))
    assert empty.items == [] and empty.checkpoint == "2025-11-27T09:50:00+00:00"


@respx.mock
def test_429_with_seconds_reset_then_success_once():
    token_route()
    policy = instant_policy()
    respx.get(f"{API}/search").mock(side_effect=[
        httpx.Response(429, headers={"X-Ratelimit-Used": "100", "X-Ratelimit-Remaining": "0",
                                     "X-Ratelimit-Reset": "7"}),
        httpx.Response(200, json=load("reddit/search_page2.json")),
    ])
    result = run(fetch(source(policy=policy), SEARCH))
    assert result.status == "ok" and [i.id for i in result.items] == ["t3_1h2k3l0"] and policy.waits == [7.5]


@respx.mock
def test_rejected_client_is_credentials():
    respx.post("https://www.reddit.com/api/v1/access_token").respond(401, json=load("reddit/error_401.json"))
    result = run(fetch(source(), SEARCH))
    assert (result.status, result.reason) == ("could_not_check", "credentials")


@respx.mock
def test_expired_token_is_renewed_once():
    token = token_route()
    respx.get(f"{API}/search").mock(side_effect=[
        httpx.Response(401, json=load("reddit/error_401.json")),
        httpx.Response(200, json=load("reddit/empty.json")),
    ])
    assert run(fetch(source(), SEARCH)).status == "ok" and token.call_count == 2


def test_missing_credentials_without_request():
    with respx.mock:
        result = run(fetch(source(client_id=None), SEARCH))
    assert (result.status, result.reason) == ("could_not_check", "credentials")


@respx.mock
def test_suspended_user_profile_and_posts():
    token_route()
    respx.get(f"{API}/user/Lumiere_Banned/about").respond(200, json=load("reddit/user_about_suspended.json"))
    for kind in ("profile", "account_posts"):
        result = run(fetch(source(), Query(kind=kind, value="u/Lumiere_Banned", platform="reddit")))
        assert (result.status, result.items, result.reason) == ("ok", [], "account suspended")


@respx.mock
def test_user_posts_and_missing_user():
    token_route()
    respx.get(f"{API}/user/Lumiere_Officiel/about").respond(200, json=load("reddit/user_about.json"))
    sub = respx.get(f"{API}/user/Lumiere_Officiel/submitted").respond(200, json=load("reddit/search_page2.json"))
    result = run(fetch(source(), Query(kind="account_posts", value="Lumiere_Officiel", platform="reddit")))
    assert [i.id for i in result.items] == ["t3_1h2k3l0"] and sub.calls[0].request.url.params["sort"] == "new"
    respx.get(f"{API}/user/nobody/about").respond(404, json={"message": "Not Found", "error": 404})
    missing = run(fetch(source(), Query(kind="profile", value="nobody", platform="reddit")))
    assert (missing.status, missing.reason) == ("ok", "account not found")


@respx.mock
def test_user_search_skips_malformed_and_subreddit_search():
    token_route()
    respx.get(f"{API}/users/search").respond(200, json=load("reddit/users_search.json"))
    result = run(fetch(source(), Query(kind="search_profiles", value="Maison Lumiere")))
    assert [p.handle for p in result.items] == ["MaisonLumiereHelp"] and result.skipped == 1
    route = respx.get(f"{API}/r/FakeGiveaways/search").respond(200, json=load("reddit/empty.json"))
    run(fetch(source(subreddit="FakeGiveaways"), Query(kind="hashtag", value="#MaisonLumiere")))
    assert route.calls[0].request.url.params["restrict_sr"] == "1"
    assert route.calls[0].request.url.params["q"] == "MaisonLumiere"
