"""YouTube Data API v3: video and channel search, channel details, uploads, within the daily quota."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from sentinelle.ports import Query, SourceResult
from sentinelle.http import CredentialsError, RateLimited
from sentinelle.model import Author, Post, Profile
from sentinelle.sources.common import (
    HttpSource, MalformedPage, Page, Rejected, UnknownEndpoint, cursor_of, item_time, json_body, map_items, media,
    media_list, obj, plain, search_terms, to_int, web_url,
)
from sentinelle.text.urls import extract_urls

PLATFORM = "youtube"
API = "https://www.googleapis.com/youtube/v3"
ENDPOINTS = ("search", "channels", "playlist_items")
# Units per call (developers.google.com/youtube/v3/determine_quota_cost).
COST = {"search": 100, "channels": 1, "playlist_items": 1}


def _thumbnail(snippet: Mapping[str, Any]) -> str | None:
    thumbs = snippet.get("thumbnails") or {}
    for size in ("default", "medium", "high"):
        if (thumbs.get(size) or {}).get("url"):
            return thumbs[size]["url"]
    return None


def _largest(snippet: Mapping[str, Any]) -> str | None:
    """The largest thumbnail: what a viewer sees before pressing play (a flyer, a phone number)."""
    thumbs = obj(snippet.get("thumbnails"))
    for size in ("maxres", "standard", "high", "medium", "default"):
        if obj(thumbs.get(size)).get("url"):
            return str(thumbs[size]["url"])
    return None


def _video(video_id: str, snippet: Mapping[str, Any]) -> Post:
    # search.list sends title and description HTML-escaped (&amp;, &#39;); playlistItems does not.
    description = plain(snippet.get("description"))
    return Post(
        platform=PLATFORM,
        id=video_id,
        url=f"https://www.youtube.com/watch?v={video_id}",
        created_at=snippet.get("publishedAt"),
        # Snippets name the channel by its title, not its @handle; account_posts fills the handle in.
        author=Author(id=snippet.get("videoOwnerChannelId") or snippet.get("channelId"),
                      display_name=snippet.get("videoOwnerChannelTitle") or snippet.get("channelTitle")),
        text="\n".join(p for p in (plain(snippet["title"]), description) if p),
        lang=snippet.get("defaultLanguage"),
        links=[u for u in extract_urls(description) if web_url(u)],
        media=media_list([media("image", _largest(snippet))]),
    )


def to_channel(item: Mapping[str, Any], channel_id: str | None = None) -> Profile:
    snippet = item["snippet"]
    stats = item.get("statistics") or {}
    handle = (snippet.get("customUrl") or "").lstrip("@") or None
    cid = channel_id or item["id"]
    return Profile(
        platform=PLATFORM,
        id=cid,
        url=f"https://www.youtube.com/@{handle}" if handle else f"https://www.youtube.com/channel/{cid}",
        created_at=snippet.get("publishedAt"),
        handle=handle,
        display_name=plain(snippet["title"]),
        bio=plain(snippet.get("description")) or None,
        avatar_url=_thumbnail(snippet),
        banner_url=web_url(obj(obj(item.get("brandingSettings")).get("image")).get("bannerExternalUrl")),
        followers=None if stats.get("hiddenSubscriberCount") else to_int(stats.get("subscriberCount")),
        post_count=to_int(stats.get("videoCount")),
        verified=None,  # YouTube exposes no verification flag
    )


def _search_item(item: Mapping[str, Any]) -> Post | Profile | None:
    ident = item["id"]
    if ident["kind"] == "youtube#video":
        return _video(ident["videoId"], item["snippet"])
    if ident["kind"] == "youtube#channel":
        return to_channel(item, ident["channelId"])
    return None  # playlists are not read


def _playlist_item(item: Mapping[str, Any]) -> Post:
    snippet = item["snippet"]
    return _video(snippet["resourceId"]["videoId"], snippet)


def parse_page(endpoint: str, body: Any, **_: Any) -> Page:
    """Map one response body of search, channels or playlist_items; the cursor is nextPageToken."""
    if endpoint not in ENDPOINTS:
        raise UnknownEndpoint(f"unknown youtube endpoint {endpoint!r}; known: {', '.join(ENDPOINTS)}")
    if not isinstance(body, dict):
        raise MalformedPage("expected an object")
    mapper = {"search": _search_item, "channels": to_channel, "playlist_items": _playlist_item}[endpoint]
    items, skipped = map_items(body.get("items") or [], mapper)
    return items, skipped, cursor_of(body.get("nextPageToken"))


def quota_day(now: datetime) -> str:
    """The quota resets at midnight Pacific time; a fixed -8 h keeps this free of tz data (a DST
    hour early in summer only makes the budget reset an hour late)."""
    return (now.astimezone(timezone.utc) - timedelta(hours=8)).date().isoformat()


class QuotaSpent(RateLimited):
    reason = "quota reached"


class YouTubeSource(HttpSource):
    """API key only. Search is the scarce resource (100 units a call and a small daily bucket)."""

    platform = PLATFORM
    kinds = ("search_posts", "hashtag", "search_profiles", "profile", "account_posts")
    checkpoint_kind = "time"
    handle_pattern = re.compile(r"[A-Za-z0-9._-]{3,30}")

    def __init__(self, *, api_key: str | None, daily_quota: int = 10_000, search_calls_per_day: int = 100,
                 quota_store: Any = None, name: str | None = None, page_size: int = 50, **kw: Any):
        super().__init__(name=name or "youtube", page_size=min(page_size, 50), **kw)
        self._key = api_key
        self.credentials_missing = not api_key
        self.daily_quota, self.search_calls_per_day = daily_quota, search_calls_per_day
        self.quota_store = quota_store  # the day's usage, shared across runs and workers
        self._usage: dict[str, Any] = {}

    # Quota: {"day": "2026-11-28", "units": 203, "searches": 2}, kept as value ("quota", <name>)
    # and charged in one atomic step of the store, so concurrent workers never overspend it.
    def _charged(self, raw: str | None, endpoint: str, day: str) -> dict[str, Any]:
        try:
            usage = json.loads(raw) if raw else {}
        except ValueError:
            usage = {}
        if not isinstance(usage, dict) or usage.get("day") != day:
            usage = {"day": day, "units": 0, "searches": 0}
        is_search = endpoint == "search"
        if usage["units"] + COST[endpoint] > self.daily_quota or (
                is_search and usage["searches"] >= self.search_calls_per_day):
            raise QuotaSpent()
        return {**usage, "units": usage["units"] + COST[endpoint], "searches": usage["searches"] + int(is_search)}

    def _spend(self, endpoint: str) -> None:
        now = datetime.fromtimestamp(self.policy.clock(), timezone.utc)
        day = quota_day(now)
        if self.quota_store is None:  # this process alone: the usage it has counted
            self._usage = self._charged(json.dumps(self._usage), endpoint, day)
            return
        self.quota_store.update_value("quota", self.name,
                                      lambda raw: json.dumps(self._charged(raw, endpoint, day)), now)

    async def _call(self, endpoint: str, path: str, params: dict[str, Any]) -> Any:
        self._spend(endpoint)  # counted before the call: a failed call is charged too
        try:
            # In a header, not the `key` query parameter: request URLs end up in logs (httpx logs them).
            response = await self._get(API + path, params=params, headers={"X-Goog-Api-Key": self._key or ""},
                                       allow=(400,))
        except CredentialsError as exc:
            if exc.status_code == 403 and "quotaExceeded" in (exc.body or ""):
                raise QuotaSpent() from None
            raise
        if response.status_code == 400:
            if "API_KEY_INVALID" in response.text or "keyInvalid" in response.text:
                raise CredentialsError(status_code=400)
            raise Rejected("http 400", status_code=400)
        return json_body(response)

    async def _paged(self, endpoint: str, path: str, params: dict[str, Any], result: SourceResult,
                     checkpoint: str | None) -> None:
        async def fetch(cursor: str | None) -> Page:
            body = await self._call(endpoint, path, {**params, "maxResults": self.page_size,
                                                     **({"pageToken": cursor} if cursor else {})})
            return parse_page(endpoint, body)

        await self.newest_first(result, checkpoint, fetch, position=item_time, order=datetime.fromisoformat,
                                 ceiling=self.time_ceiling())

    async def _channel(self, handle: str, result: SourceResult) -> Mapping[str, Any] | None:
        body = await self._call("channels", "/channels", {
            "part": "snippet,statistics,contentDetails", "forHandle": "@" + handle.lstrip("@")})
        items = body.get("items") if isinstance(body, dict) else None
        if not items:
            result.reason = "account not found"  # also what a terminated channel looks like
            return None
        if not isinstance(items, list) or not isinstance(items[0], dict):
            raise MalformedPage("expected a list of channels")
        return items[0]

    async def _collect(self, query: Query, checkpoint: str | None, result: SourceResult) -> None:
        if query.kind in ("search_posts", "hashtag"):
            q = search_terms(query)
            params = {"part": "snippet", "q": q, "type": "video", "order": "date"}
            if checkpoint:
                params["publishedAfter"] = datetime.fromisoformat(checkpoint).strftime("%Y-%m-%dT%H:%M:%SZ")
            await self._paged("search", "/search", params, result, checkpoint)
        elif query.kind == "search_profiles":
            body = await self._call("search", "/search", {"part": "snippet", "q": query.value, "type": "channel",
                                                          "maxResults": self.page_size})
            found, skipped, _ = parse_page("search", body)
            result.skipped += skipped
            result.items.extend(found)
            if not found:
                return
            # Search snippets carry no counts; one cheap channels call adds them for all at once.
            details, skipped, _ = parse_page("channels", await self._call(
                "channels", "/channels", {"part": "snippet,statistics", "id": ",".join(p.id for p in found)}))
            result.skipped += skipped
            if details:
                result.items[:] = details
        elif query.kind == "profile":
            channel = await self._channel(query.value, result)
            if channel is not None:
                items, skipped, _ = parse_page("channels", {"items": [channel]})
                result.items.extend(items)
                result.skipped += skipped
        elif query.kind == "account_posts":
            channel = await self._channel(query.value, result)
            if channel is None:
                return
            uploads = obj(obj(channel.get("contentDetails")).get("relatedPlaylists")).get("uploads")
            if not uploads:
                raise MalformedPage("channel without an uploads playlist")
            custom = obj(channel.get("snippet")).get("customUrl")
            handle = (custom.lstrip("@") or None) if isinstance(custom, str) else None
            try:
                await self._paged("playlist_items", "/playlistItems", {"part": "snippet", "playlistId": uploads},
                                  result, checkpoint)
            finally:  # partial results too
                for post in result.items:
                    if isinstance(post, Post) and post.author is not None:
                        post.author.handle = handle
