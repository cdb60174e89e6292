"""Reddit: search, user search, user about (suspended included) and submissions, app-only OAuth."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any, Mapping

from sentinelle.ports import Query, SourceResult
from sentinelle.http import CredentialsError
from sentinelle.model import Author, Post, Profile
from sentinelle.sources.common import (
    HttpSource, MalformedPage, Page, UnknownEndpoint, cursor_of, epoch, item_time, json_body, map_items, media,
    media_list, obj, search_terms, to_int, unique, web_url,
)
from sentinelle.text.urls import extract_urls, host_of

PLATFORM = "reddit"
API = "https://oauth.reddit.com"
TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
WEB = "https://www.reddit.com"
ENDPOINTS = {"search": "links", "user_submitted": "links", "listing": "links",
             "users_search": "users", "user_about": "user"}
_HASHTAG = re.compile(r"(?<![\w&])#(\w{2,})")
# Reddit's own media hosts: a post's picture or video there is media, not a link out.
MEDIA_HOSTS = {"i.redd.it": "image", "preview.redd.it": "image", "v.redd.it": "video"}
GONE = ("[deleted]", "[removed]")  # what Reddit shows for an account deleted since
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\((https?://[^)\s]+)\)")  # [label](url) in selftext


def _media(d: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A gallery's pictures (`gallery_data` order, captions as alt), the picture or video the post
    links to on Reddit's media hosts, and the `preview` pictures Reddit made of it."""
    found = []
    metadata = obj(d.get("media_metadata"))
    gallery = [obj(i) for i in obj(d.get("gallery_data")).get("items") or []]
    order = [str(i.get("media_id")) for i in gallery]
    captions = {str(i.get("media_id")): i.get("caption") for i in gallery}
    for key in order or list(metadata):
        meta = obj(metadata.get(key))
        source = obj(meta.get("s"))
        if meta.get("e") == "AnimatedImage":
            found.append(media("gif", source.get("gif") or source.get("mp4"), captions.get(key)))
        elif meta.get("e") == "Image":
            found.append(media("image", source.get("u"), captions.get(key)))
    url = d.get("url_overridden_by_dest") or d.get("url")
    kind = MEDIA_HOSTS.get(host_of(url)) if isinstance(url, str) else None
    previews = [obj(obj(i).get("source")).get("url") for i in obj(d.get("preview")).get("images") or []]
    if kind == "image":
        found.append(media("image", url))
    elif kind == "video" or d.get("is_video"):
        found += [media("video", p) for p in previews[:1]]  # the video's still picture
        previews = []
    found += [media("image", p) for p in previews]
    return media_list(found)


def _outbound(d: Mapping[str, Any]) -> str | None:
    """Where a link post points, unless that is Reddit itself (a crosspost's relative permalink,
    a self post, a gallery) or one of its media hosts (then it is media)."""
    if d.get("is_self"):
        return None
    url = web_url(d.get("url_overridden_by_dest") or d.get("url"))
    host = host_of(url) if url else ""
    if not url or host in MEDIA_HOSTS or host in ("reddit.com", "redd.it") or host.endswith(".reddit.com"):
        return None
    return url


def to_post(thing: Mapping[str, Any]) -> Post | None:
    if thing.get("kind") != "t3":
        return None  # comments and other kinds in a listing are not link posts
    d = thing["data"]
    text = "\n\n".join(p for p in (d["title"], d.get("selftext") or "") if p)
    handle = d.get("author") if d.get("author") not in GONE else None
    return Post(
        platform=PLATFORM,
        id=d["name"],
        url=WEB + d["permalink"] if d.get("permalink") else None,
        created_at=epoch(d.get("created_utc")),
        author=Author(id=d.get("author_fullname"), handle=handle) if handle else None,
        text=text,
        links=unique([_outbound(d), *(u for u in extract_urls(_MARKDOWN_LINK.sub(r"\1 \2 ", d.get("selftext") or ""))
                            if web_url(u))]),
        hashtags=unique(_HASHTAG.findall(text)),
        media=_media(d),
    )


def is_suspended(thing: Mapping[str, Any]) -> bool:
    return bool((thing.get("data") or {}).get("is_suspended"))


def to_profile(thing: Mapping[str, Any]) -> Profile | None:
    if thing.get("kind") != "t2" or is_suspended(thing):
        return None
    d = thing["data"]
    sub = d.get("subreddit") or {}
    icon = (d.get("icon_img") or "").split("?")[0] or None
    return Profile(
        platform=PLATFORM,
        id=f"t2_{d['id']}",
        url=f"{WEB}/user/{d['name']}",
        created_at=epoch(d.get("created_utc")),
        handle=d["name"],
        display_name=sub.get("title") or None,
        bio=sub.get("public_description") or None,
        avatar_url=icon,
        banner_url=web_url((sub.get("banner_img") or "").split("?")[0]) or None,
        followers=to_int(sub.get("subscribers")),
        post_count=to_int(d.get("total_karma")),  # a proxy: Reddit exposes no post count
        verified=bool(d.get("verified") or d.get("is_employee")),
    )


def parse_page(endpoint: str, body: Any, **_: Any) -> Page:
    """Map one Listing (or a t2 thing for user_about); the cursor is the listing's `after`."""
    kind = ENDPOINTS.get(endpoint)
    if kind is None:
        raise UnknownEndpoint(f"unknown reddit endpoint {endpoint!r}; known: {', '.join(sorted(ENDPOINTS))}")
    if not isinstance(body, dict):
        raise MalformedPage("expected an object")
    if kind == "user":
        items, skipped = map_items([body], to_profile)
        return items, skipped, None
    data = body.get("data")
    if body.get("kind") != "Listing" or not isinstance(data, dict):
        raise MalformedPage("expected a Listing")
    items, skipped = map_items(data.get("children") or [], to_post if kind == "links" else to_profile)
    return items, skipped, cursor_of(data.get("after"))


class RedditSource(HttpSource):
    """Application-only OAuth (client credentials); needs an approved client id and secret."""

    platform = PLATFORM
    kinds = ("search_posts", "hashtag", "search_profiles", "profile", "account_posts")
    checkpoint_kind = "time"
    handle_pattern = re.compile(r"[A-Za-z0-9_-]{3,20}")

    def handle_of(self, value: str) -> str:
        return value.strip().lstrip("@").removeprefix("/").removeprefix("u/")

    def __init__(self, *, client_id: str | None, client_secret: str | None, user_agent: str | None = None,
                 subreddit: str | None = None, name: str | None = None,
                 page_size: int = 100, **kw: Any):
        super().__init__(name=name or "reddit", page_size=min(page_size, 100), **kw)
        self._id, self._secret = client_id, client_secret
        self.credentials_missing = not (client_id and client_secret)
        self.user_agent = user_agent or "python:sentinelle:0.1 (social-media risk monitor)"
        self.subreddit = subreddit
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()  # concurrent queries share one token request

    async def _new_token(self) -> str:
        response = await self._request(
            "POST", TOKEN_URL, auth=(self._id or "", self._secret or ""),
            data={"grant_type": "client_credentials"}, headers={"User-Agent": self.user_agent}, allow=(400,))
        body = json_body(response)
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
            raise CredentialsError(status_code=response.status_code)
        self._token = body["access_token"]
        self._expires = self.policy.clock() + float(body.get("expires_in", 3600)) - 60
        return self._token  # type: ignore[return-value]

    async def _current(self) -> str:
        async with self._lock:
            if self._token and self.policy.clock() < self._expires:
                return self._token
            return await self._new_token()

    async def _call(self, path: str, params: dict[str, Any]) -> Any:
        for attempt in range(2):
            token = await self._current()
            headers = {"Authorization": f"bearer {token}", "User-Agent": self.user_agent}
            try:
                response = await self._get(API + path, params={**params, "raw_json": 1}, headers=headers,
                                           allow=(404,))
            except CredentialsError as exc:
                if attempt or exc.status_code != 401:
                    raise
                if self._token == token:
                    self._token = None  # expired early: take a new one once
                continue
            if response.status_code == 404:
                return None
            return json_body(response)
        raise CredentialsError()

    async def _listing(self, path: str, params: dict[str, Any], result: SourceResult,
                       checkpoint: str | None) -> None:
        async def fetch(cursor: str | None) -> Page:
            body = await self._call(path, {**params, "limit": self.page_size, **({"after": cursor} if cursor else {})})
            return ([], 0, None) if body is None else parse_page("listing", body)

        await self.newest_first(result, checkpoint, fetch, position=item_time, order=datetime.fromisoformat,
                                 ceiling=self.time_ceiling())

    async def _collect(self, query: Query, checkpoint: str | None, result: SourceResult) -> None:
        name = self.handle_of(query.value)
        if query.kind in ("search_posts", "hashtag"):
            path = f"/r/{self.subreddit}/search" if self.subreddit else "/search"
            # Reddit has no hashtags: a tag is searched as the word.
            q = query.value.lstrip("#") if query.kind == "hashtag" else search_terms(query)
            params = {"q": q, "sort": "new", "t": "week", "type": "link"}
            if self.subreddit:
                params["restrict_sr"] = "1"
            await self._listing(path, params, result, checkpoint)
        elif query.kind == "search_profiles":
            body = await self._call("/users/search", {"q": query.value, "limit": self.page_size})
            if body is not None:
                items, skipped, _ = parse_page("users_search", body)
                result.items.extend(items)
                result.skipped += skipped
        elif query.kind in ("profile", "account_posts"):
            # About first: a suspended user's listings answer 403, which is not a credentials problem.
            body = await self._call(f"/user/{name}/about", {})
            if body is None:
                result.reason = "account not found"
            elif isinstance(body, dict) and is_suspended(body):
                result.reason = "account suspended"
            elif query.kind == "profile":
                items, skipped, _ = parse_page("user_about", body)
                result.items.extend(items)
                result.skipped += skipped
            else:
                await self._listing(f"/user/{name}/submitted", {"sort": "new"}, result, checkpoint)
