"""YouTube adapter: search, channels, uploads, pageToken paging, quota accounting and errors."""

from __future__ import annotations

import json

import httpx
import respx

from conftest import MemoryCheckpoints, instant_policy, load, run
from sentinelle.ports import Query
from sentinelle.model import Post, Profile
from sentinelle.sources.youtube import YouTubeSource, parse_page

API = "https://www.googleapis.com/youtube/v3"
SEARCH = Query(kind="search_posts", value="Maison Lumière")


def source(**kw):
    kw.setdefault("policy", instant_policy())
    kw.setdefault("api_key", "fake-key")
    return YouTubeSource(**kw)


async def fetch(src, query, checkpoint=None):
    try:
        return await src.fetch(query, checkpoint)
    finally:
        await src.aclose()


def test_parse_search_channels_and_uploads():
    items, skipped, token = parse_page("search", load("youtube/search_videos_page1.json"))
    assert token == "CAUQAA" and skipped == 0
    video = items[0]
    assert isinstance(video, Post) and video.url == "https://www.youtube.com/watch?v=vidFake0003"
    assert video.author.id == "UCx1LumiereFakeChannel000" and video.author.handle is None
    assert video.author.display_name == "Maison Lumière Live" and video.links == ["https://lumiere-double.example/live"]
    assert video.text.startswith("Maison Lumière LIVE giveaway")
    (channel,), _, _ = parse_page("channels", load("youtube/channels.json"))
    assert isinstance(channel, Profile) and channel.handle == "maisonlumiere-live"
    assert channel.followers == 1200 and channel.post_count == 3 and channel.verified is None
    uploads, _, token = parse_page("playlist_items", load("youtube/playlist_items.json"))
    assert [u.id for u in uploads] == ["vidFake0003", "vidFake0001"] and token == "EAAaBlBUOkNBVQ"
    items, skipped, _ = parse_page("search", load("youtube/search_malformed.json"))
    assert len(items) == 1 and skipped == 1  # the playlist is ignored, not counted as malformed
    assert parse_page("channels", load("youtube/channels_none.json")) == ([], 0, None)


@respx.mock
def test_page_token_paging_checkpoint_and_quota_units():
    route = respx.get(f"{API}/search").mock(side_effect=[
        httpx.Response(200, json=load("youtube/search_videos_page1.json")),
        httpx.Response(200, json=load("youtube/search_videos_page2.json")),
    ])
    store = MemoryCheckpoints()
    src = source(quota_store=store)
    result = run(fetch(src, SEARCH))
    assert result.status == "ok" and len(result.items) == 3 and result.checkpoint == "2026-11-27T15:00:00+00:00"
    assert route.calls[1].request.url.params["pageToken"] == "CAUQAA"
    assert route.calls[0].request.headers["X-Goog-Api-Key"] == "fake-key"
    assert "key" not in route.calls[0].request.url.params  # never in a URL, which logs would show
    usage = json.loads(store.get_value("quota", "youtube"))
    assert (usage["units"], usage["searches"]) == (200, 2)


@respx.mock
def test_checkpoint_becomes_published_after_and_empty_page():
    route = respx.get(f"{API}/search").respond(200, json=load("youtube/search_empty.json"))
    result = run(fetch(source(), Query(kind="hashtag", value="MaisonLumiere"), "2026-11-27T15:00:00+00:00"))
    assert result.status == "ok" and result.items == [] and result.checkpoint == "2026-11-27T15:00:00+00:00"
    params = route.calls[0].request.url.params
    assert params["publishedAfter"] == "2026-11-27T15:00:00Z" and params["q"] == "#MaisonLumiere"


@respx.mock
def test_daily_quota_is_shared_across_runs_and_stops_calls():
    route = respx.get(f"{API}/search").respond(200, json=load("youtube/search_videos_page2.json"))
    store = MemoryCheckpoints()
    first = run(fetch(source(quota_store=store, daily_quota=150), SEARCH))
    assert first.status == "ok" and route.call_count == 1
    second = run(fetch(source(quota_store=store, daily_quota=150), SEARCH, first.checkpoint))
    assert (second.status, second.reason, second.checkpoint) == ("could_not_check", "quota reached", None)
    assert route.call_count == 1  # no call once the day's budget is spent


@respx.mock
def test_quota_reached_mid_paging_is_partial():
    respx.get(f"{API}/search").respond(200, json=load("youtube/search_videos_page1.json"))
    result = run(fetch(source(search_calls_per_day=1), SEARCH))
    assert (result.status, result.reason, result.checkpoint) == ("partial", "quota reached", None)
    assert len(result.items) == 2


@respx.mock
def test_quota_exceeded_403_is_quota_not_credentials():
    respx.get(f"{API}/search").respond(403, json=load("youtube/error_quota.json"))
    result = run(fetch(source(), SEARCH))
    assert (result.status, result.reason) == ("could_not_check", "quota reached")


@respx.mock
def test_bad_key_and_401_are_credentials():
    respx.get(f"{API}/search").respond(400, json=load("youtube/error_key.json"))
    assert run(fetch(source(), SEARCH)).reason == "credentials"
    respx.get(f"{API}/search").respond(401, json=load("youtube/error_401.json"))
    assert run(fetch(source(), SEARCH)).reason == "credentials"


@respx.mock
def test_429_then_success_once():
    policy = instant_policy()
    respx.get(f"{API}/search").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(200, json=load("youtube/search_videos_page2.json")),
    ])
    result = run(fetch(source(policy=policy), SEARCH))
    assert [i.id for i in result.items] == ["vidFake0001"] and policy.waits == [3.5]


@respx.mock
def test_search_profiles_adds_channel_statistics():
    respx.get(f"{API}/search").respond(200, json=load("youtube/search_channels.json"))
    details = respx.get(f"{API}/channels").respond(200, json=load("youtube/channels.json"))
    result = run(fetch(source(), Query(kind="search_profiles", value="Maison Lumière")))
    assert [p.followers for p in result.items] == [1200]
    assert details.calls[0].request.url.params["id"] == "UCx1LumiereFakeChannel000"


@respx.mock
def test_uploads_of_a_channel_and_unknown_or_terminated_channel():
    respx.get(f"{API}/channels", params={"forHandle": "@maisonlumiere-live"}).respond(
        200, json=load("youtube/channels.json"))
    respx.get(f"{API}/playlistItems").mock(side_effect=[
        httpx.Response(200, json=load("youtube/playlist_items.json")),
        httpx.Response(200, json=load("youtube/playlist_items_page2.json")),
    ])
    q = Query(kind="account_posts", value="@maisonlumiere-live", platform="youtube")
    result = run(fetch(source(), q, "2026-11-25T12:00:00+00:00"))
    assert [i.id for i in result.items] == ["vidFake0003", "vidFake0001"]
    assert {i.author.handle for i in result.items} == {"maisonlumiere-live"}  # so leaks knows whose
    assert result.checkpoint == "2026-11-27T15:00:00+00:00"
    respx.get(f"{API}/channels", params={"forHandle": "@gone"}).respond(200, json=load("youtube/channels_none.json"))
    gone = run(fetch(source(), Query(kind="profile", value="gone", platform="youtube")))
    assert (gone.status, gone.items, gone.reason) == ("ok", [], "account not found")


@respx.mock
def test_other_bad_requests_are_rejected():
    respx.get(f"{API}/search").respond(400, json={"error": {"code": 400, "errors": [{"reason": "invalidChannelId"}]}})
    assert run(fetch(source(), SEARCH)).reason == "http 400"
