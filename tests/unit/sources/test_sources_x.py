"""X API v2 adapter: expansions to authors, next_token paging, read budget, errors, suspended users."""

from __future__ import annotations

import json

import httpx
import respx

from conftest import NOW, instant_policy, load, run
from sentinelle.ports import Query
from sentinelle.model import Post, Profile
from sentinelle.sources.x import XSource, parse_page

API = "https://api.x.com/2"
SEARCH = Query(kind="search_posts", value="Maison Lumière")


def source(**kw):
    kw.setdefault("policy", instant_policy())
    kw.setdefault("bearer_token", "fake-bearer")
    return XSource(**kw)


async def fetch(src, query, checkpoint=None):
    try:
        return await src.fetch(query, checkpoint)
    finally:
        await src.aclose()


def test_parse_recent_search_maps_authors_from_includes():
    items, skipped, cursor = parse_page("tweets/search/recent", load("x/search_recent_page1.json"))
    assert cursor == "b26v89c19zqg8o3f" and skipped == 0
    post = items[0]
    assert isinstance(post, Post) and post.author.handle == "LumiereHelp_"
    assert post.url == "https://x.com/LumiereHelp_/status/1861999000000000003"
    assert post.links == ["https://lumiere-verify.example"] and post.hashtags == ["MaisonLumiere"]
    # Text unescaped; media from attachments.media_keys in includes.media; a photo's own link is not a link.
    pictured = items[1]
    assert pictured.text.startswith("#MaisonLumiere refund desk & coupons")
    assert [(m.type, m.url, m.alt) for m in pictured.media] == [
        ("image", "https://pbs.x.example/media/coupon.jpg", "Coupon -50% call 01 23 45 67 89"),
        ("video", "https://pbs.x.example/ext_tw_video_thumb/102.jpg", None)]
    assert pictured.links == ["https://lumiere-verify.example"] and post.media == []


def test_parse_user_and_malformed_and_empty():
    (user,), _, _ = parse_page("users/by/username", load("x/user.json"))
    assert isinstance(user, Profile) and user.followers == 3 and user.verified is False
    assert user.links == ["https://lumiere-verify.example"]
    items, skipped, _ = parse_page("search_recent", load("x/search_recent_malformed.json"))
    assert len(items) == 2 and skipped == 1
    assert items[1].author.handle is None and items[1].url.startswith("https://x.com/i/web/status/")
    assert parse_page("search_recent", load("x/search_recent_empty.json")) == ([], 0, None)


@respx.mock
def test_next_token_paging_query_and_since_id_checkpoint():
    route = respx.get(f"{API}/tweets/search/recent").mock(side_effect=[
        httpx.Response(200, json=load("x/search_recent_page1.json")),
        httpx.Response(200, json=load("x/search_recent_page2.json")),
    ])
    result = run(fetch(source(), SEARCH, "1861999000000000000"))
    assert result.status == "ok" and len(result.items) == 3 and result.checkpoint == "1861999000000000003"
    first, second = (c.request.url.params for c in route.calls)
    assert first["query"] == '"Maison Lumière" -is:retweet' and first["since_id"] == "1861999000000000000"
    assert first["expansions"] == "author_id,attachments.media_keys" and first["media.fields"] == "type,url,preview_image_url,alt_text"
    assert second["next_token"] == "b26v89c19zqg8o3f"
    assert route.calls[0].request.headers["Authorization"] == "Bearer fake-bearer"


@respx.mock
def test_empty_page_keeps_checkpoint():
    respx.get(f"{API}/tweets/search/recent").respond(200, json=load("x/search_recent_empty.json"))
    result = run(fetch(source(), Query(kind="hashtag", value="#MaisonLumiere"), "1861999000000000003"))
    assert result.status == "ok" and result.items == [] and result.checkpoint == "1861999000000000003"


@respx.mock
def test_read_budget_stops_paging_and_reports_partial():
    route = respx.get(f"{API}/tweets/search/recent").mock(side_effect=[
        httpx.Response(200, json=load("x/search_recent_page1.json")),
        httpx.Response(200, json=load("x/search_recent_page2.json")),
    ])
    src = source(read_budget=12)  # the first page costs 3 reads (2 posts, 1 user): 9 left, under 10
    result = run(fetch(src, SEARCH))
    assert (result.status, result.reason) == ("partial", "read budget reached")
    assert len(result.items) == 2 and route.call_count == 1 and src.reads == 3
    assert route.calls[0].request.url.params["max_results"] == "12"


def reads_today(store) -> int:
    return json.loads(store.get_value("quota", "x") or '{"reads": 0}')["reads"]


@respx.mock
def test_daily_read_budget_is_shared_by_every_worker_through_the_store():
    """Three runs (three sources, one store) on one UTC day: each claims what a page may cost (its
    posts and as many authors), gives back what it did not read, and the next sees the rest."""
    from conftest import MemoryCheckpoints

    route = respx.get(f"{API}/tweets/search/recent").respond(200, json=load("x/search_recent_page1.json"))
    store = MemoryCheckpoints()
    first = source(daily_read_budget=25, quota_store=store, max_pages=1)
    assert run(fetch(first, SEARCH)).status in ("ok", "partial") and first.reads == 3
    assert route.calls[0].request.url.params["max_results"] == "12"  # 25 claimed: 12 posts + 12 authors
    assert reads_today(store) == 3  # 22 of the claim given back
    second = source(daily_read_budget=25, quota_store=store, max_pages=1)
    run(fetch(second, SEARCH))
    assert route.calls[1].request.url.params["max_results"] == "11" and reads_today(store) == 6
    third = source(daily_read_budget=25, quota_store=store)  # 19 left: under a 10-post page's 20
    result = run(fetch(third, SEARCH))
    assert (result.status, result.reason) == ("could_not_check", "read budget reached") and third.reads == 0
    assert route.call_count == 2 and reads_today(store) == 6


@respx.mock
def test_without_a_store_one_process_claims_and_gives_back_the_same_way():
    respx.get(f"{API}/tweets/search/recent").mock(side_effect=[
        httpx.Response(200, json=load("x/search_recent_page1.json")),
        httpx.Response(200, json=load("x/search_recent_page2.json")),
    ])
    src = source(daily_read_budget=25)
    result = run(fetch(src, SEARCH))
    sizes = [c.request.url.params["max_results"] for c in respx.calls]
    assert sizes == ["12", "11"] and len(result.items) == 3  # 25 claimed, then 22 left: 3 + 2 read
    assert src._daily == {"day": "2026-11-28", "reads": 5}


def full_page(request: httpx.Request) -> httpx.Response:
    """A recent-search answer in the documented shape with as many posts as `max_results` asks,
    each by its own author: the most a page can cost (every post and every author read)."""
    template = load("x/search_recent_page1.json")
    tweet, user = template["data"][0], template["includes"]["users"][0]
    n = int(request.url.params["max_results"])
    base = int(request.url.params.get("next_token", "0") or 0) or 1_862_000_000_000_000_000
    data = [{**tweet, "id": str(base - i), "author_id": str(900 + i)} for i in range(n)]
    users = [{**user, "id": str(900 + i), "username": f"author{i}"} for i in range(n)]
    return httpx.Response(200, json={"data": data, "includes": {"users": users},
                                     "meta": {"result_count": n, "next_token": str(base - n)}})


def test_concurrent_workers_never_read_past_the_daily_budget(tmp_path):
    """Four workers on one SQLite store, their requests interleaved (each claims, then all wait for
    their answers): together they read no more than the day's budget, and the store counts exactly
    what they read (every unused claim given back). Charged after reading, each would have seen the
    whole budget left and read a full page."""
    import asyncio

    from sentinelle.store import open_store

    stores = [open_store(tmp_path / "s.db") for _ in range(4)]

    async def answer(request: httpx.Request) -> httpx.Response:
        for _ in range(5):
            await asyncio.sleep(0)  # the other workers claim meanwhile
        return full_page(request)

    async def go() -> list:
        sources = [source(daily_read_budget=250, quota_store=s, max_pages=3) for s in stores]
        await asyncio.gather(*(fetch(src, SEARCH) for src in sources))
        return sources

    with respx.mock:
        route = respx.get(f"{API}/tweets/search/recent").mock(side_effect=answer)
        sources = run(go())
    read = sum(src.reads for src in sources)
    assert read <= 250 and reads_today(stores[0]) == read
    assert read >= 230  # what is left is under one 10-post page's worst case
    assert all(int(c.request.url.params["max_results"]) >= 10 for c in route.calls)
    assert max(int(c.request.url.params["max_results"]) for c in route.calls) == 100  # the first: a full page
    for s in stores:
        s.close()


@respx.mock
def test_a_claim_is_held_while_reading_and_the_unread_part_given_back():
    from conftest import MemoryCheckpoints

    store = MemoryCheckpoints()
    seen: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(reads_today(store))
        return httpx.Response(200, json=load("x/search_recent_page1.json"))

    route = respx.get(f"{API}/tweets/search/recent").mock(side_effect=answer)
    run(fetch(source(daily_read_budget=100, quota_store=store, max_pages=1), SEARCH))
    assert route.calls[0].request.url.params["max_results"] == "50"  # 50 posts + up to 50 authors
    assert seen == [100] and reads_today(store) == 3


@respx.mock
def test_a_failed_request_gives_its_whole_claim_back():
    from conftest import MemoryCheckpoints

    store = MemoryCheckpoints()
    respx.get(f"{API}/tweets/search/recent").respond(401, json=load("x/error_401.json"))
    result = run(fetch(source(daily_read_budget=100, quota_store=store), SEARCH))
    assert (result.status, result.reason) == ("could_not_check", "credentials") and reads_today(store) == 0
    respx.get(f"{API}/tweets/search/recent").respond(200, content=b"<html>not json")
    result = run(fetch(source(daily_read_budget=100, quota_store=store), SEARCH))
    assert result.reason == "malformed response" and reads_today(store) == 0


@respx.mock
def test_a_users_posts_claim_one_author_and_a_lookup_one_read():
    """On a user's own posts every post has the same author: a page of n posts costs n + 1."""
    from conftest import MemoryCheckpoints

    store = MemoryCheckpoints()
    respx.get(f"{API}/users/by/username/LumiereHelp_").respond(200, json=load("x/user.json"))
    tweets = respx.get(f"{API}/users/1860000000000000042/tweets").respond(
        200, json=load("x/search_recent_page2.json"))
    q = Query(kind="account_posts", value="LumiereHelp_", platform="x")
    result = run(fetch(source(daily_read_budget=12, quota_store=store), q))
    assert tweets.calls[0].request.url.params["max_results"] == "10"  # 12 - 1 (the lookup) = 10 posts + 1
    assert len(result.items) == 1 and reads_today(store) == 1 + 2
    spent = source(daily_read_budget=3, quota_store=store)
    gone = run(fetch(spent, Query(kind="profile", value="LumiereHelp_", platform="x")))
    assert (gone.status, gone.reason) == ("could_not_check", "read budget reached") and spent.reads == 0


@respx.mock
def test_an_answer_after_midnight_counts_its_reads_on_the_new_day():
    from conftest import MemoryCheckpoints

    store = MemoryCheckpoints()
    clock = [NOW]
    src = source(daily_read_budget=100, quota_store=store, max_pages=1,
                 policy=instant_policy(clock=lambda: clock[0]))

    def answer(request: httpx.Request) -> httpx.Response:
        clock[0] = NOW + 86_400  # the answer comes after midnight UTC
        store.put_value("quota", "x", json.dumps({"day": "2026-11-29", "reads": 7}), None)
        return httpx.Response(200, json=load("x/search_recent_page1.json"))

    respx.get(f"{API}/tweets/search/recent").mock(side_effect=answer)
    run(fetch(src, SEARCH))
    assert json.loads(store.get_value("quota", "x")) == {"day": "2026-11-29", "reads": 7 + 3}


def test_spent_budget_is_could_not_check_without_a_request():
    src = source(read_budget=0)
    with respx.mock:  # any request would fail the test: no route is registered
        result = run(fetch(src, SEARCH, "5"))
    assert (result.status, result.reason, result.checkpoint) == ("could_not_check", "read budget reached", None)


@respx.mock
def test_429_with_epoch_reset_then_success_recorded_once():
    policy = instant_policy()
    respx.get(f"{API}/tweets/search/recent").mock(side_effect=[
        httpx.Response(429, json=load("x/error_429.json"),
                       headers={"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
                                "x-rate-limit-reset": str(int(NOW) + 40)}),
        httpx.Response(200, json=load("x/search_recent_page2.json")),
    ])
    result = run(fetch(source(policy=policy), SEARCH))
    assert result.status == "ok" and [i.id for i in result.items] == ["1861999000000000001"]
    assert policy.waits == [40.5]


@respx.mock
def test_429_beyond_the_wait_cap_gives_up_rate_limited():
    policy = instant_policy(max_total_wait=60)
    respx.get(f"{API}/tweets/search/recent").respond(
        429, json=load("x/error_429.json"), headers={"x-rate-limit-reset": str(int(NOW) + 900)})
    result = run(fetch(source(policy=policy), SEARCH, "7"))
    assert (result.status, result.reason, result.checkpoint) == ("could_not_check", "rate limited", None)
    assert policy.waits == []


@respx.mock
def test_401_credentials():
    respx.get(f"{API}/tweets/search/recent").respond(401, json=load("x/error_401.json"))
    result = run(fetch(source(), SEARCH))
    assert (result.status, result.reason) == ("could_not_check", "credentials")


def test_missing_token_is_credentials_without_a_request():
    with respx.mock:
        result = run(fetch(source(bearer_token=None), SEARCH))
    assert (result.status, result.reason) == ("could_not_check", "credentials")


@respx.mock
def test_profile_and_suspended_user():
    respx.get(f"{API}/users/by/username/LumiereHelp_").respond(200, json=load("x/user.json"))
    respx.get(f"{API}/users/by/username/LumiereGone").respond(200, json=load("x/user_suspended.json"))
    ok = run(fetch(source(), Query(kind="profile", value="@LumiereHelp_", platform="x")))
    assert [p.handle for p in ok.items] == ["LumiereHelp_"]
    gone = run(fetch(source(), Query(kind="profile", value="LumiereGone", platform="x")))
    assert gone.status == "ok" and gone.items == [] and gone.reason == "account suspended"


@respx.mock
def test_account_posts_uses_user_id_and_pagination_token():
    respx.get(f"{API}/users/by/username/LumiereHelp_").respond(200, json=load("x/user.json"))
    tweets = respx.get(f"{API}/users/1860000000000000042/tweets").mock(side_effect=[
        httpx.Response(200, json=load("x/search_recent_page1.json")),
        httpx.Response(200, json=load("x/search_recent_page2.json")),
    ])
    q = Query(kind="account_posts", value="LumiereHelp_", platform="x")
    result = run(fetch(source(), q))
    assert len(result.items) == 3 and tweets.calls[1].request.url.params["pagination_token"] == "b26v89c19zqg8o3f"
    assert tweets.calls[0].request.url.params["exclude"] == "retweets"


def test_queries_served():
    plan = [SEARCH, Query(kind="search_profiles", value="x"), Query(kind="profile", value="a", platform="x"),
            Query(kind="profile", value="a", platform="mastodon")]
    src = source()
    assert src.queries(plan) == [SEARCH, plan[2]]
    run(src.aclose())


@respx.mock
def test_an_error_body_never_passes_for_an_empty_page():
    respx.get(f"{API}/tweets/search/recent").respond(
        400, json={"errors": [{"message": "Invalid query"}], "title": "Invalid Request", "status": 400})
    result = run(fetch(source(), SEARCH, "5"))
    assert (result.status, result.reason, result.checkpoint) == ("could_not_check", "http 400", None)


@respx.mock
def test_the_wait_cap_covers_the_whole_fetch_and_keeps_what_was_read():
    policy = instant_policy(max_total_wait=50)
    wait = {"x-rate-limit-reset": str(int(NOW) + 30)}
    respx.get(f"{API}/tweets/search/recent").mock(side_effect=[
        httpx.Response(429, headers=wait), httpx.Response(200, json=load("x/search_recent_page1.json")),
        httpx.Response(429, headers=wait), httpx.Response(200, json=load("x/search_recent_page2.json")),
    ])
    result = run(fetch(source(policy=policy), SEARCH))
    assert (result.status, result.reason, len(result.items)) == ("partial", "rate limited", 2)
    assert policy.waits == [30.5] and result.checkpoint is None


def test_missing_token_names_the_variable_to_set(monkeypatch):
    """Issue 16 item 8: a source that needs credentials names the variable to set (or, on AWS, the parameter)."""
    from sentinelle.sources import build_source

    monkeypatch.delenv("SENTINELLE_X_BEARER_TOKEN", raising=False)
    monkeypatch.delenv("SENTINELLE_SECRETS_PREFIX", raising=False)
    with respx.mock:
        result = run(build_source({"type": "x"}).fetch(SEARCH, None))
    assert (result.status, result.reason) == ("could_not_check", "credentials: set SENTINELLE_X_BEARER_TOKEN")
    monkeypatch.setenv("SENTINELLE_SECRETS_PREFIX", "/sentinelle/prod")
    monkeypatch.setattr("aws_lambda_powertools.utilities.parameters.get_parameter",
                        lambda *a, **k: (_ for _ in ()).throw(KeyError("missing")))
    with respx.mock:
        result = run(build_source({"type": "x"}).fetch(SEARCH, None))
    assert result.reason == "credentials: create the SSM parameter /sentinelle/prod/x_bearer_token"
