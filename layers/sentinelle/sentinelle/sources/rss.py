"""RSS/Atom: any feed URL as a source of posts, fetched conditionally (ETag / Last-Modified)."""

from __future__ import annotations

import calendar
import hashlib
import json
import mimetypes
from datetime import datetime, timezone
from typing import Any

import feedparser

from sentinelle.ports import Query, SourceResult
from sentinelle.http import Unavailable
from sentinelle.model import Author, Post
from sentinelle.sources.common import (
    HttpSource, MalformedPage, Page, UnknownEndpoint, html_to_text, map_items, media, media_list, scrub, unique,
)


def _when(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc) if parsed else None


def _kind(mime: Any, url: Any) -> str | None:
    """image, gif or video from a MIME type (or, without one, the file's extension); None for audio
    and documents."""
    if not isinstance(mime, str) or not mime:
        mime = mimetypes.guess_type(url)[0] if isinstance(url, str) else None
    mime = (mime or "").lower()
    if mime == "image/gif":
        return "gif"
    return "image" if mime.startswith("image/") else "video" if mime.startswith("video/") else None


def _media(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """`enclosure`s, `media:content`, `media:thumbnail` and `itunes:image` that are pictures or videos."""
    found = []
    # feedparser derives `enclosures` from `links` on access; a plain dict copy has only the links.
    for enclosure in (link for link in entry.get("links") or [] if link.get("rel") == "enclosure"):
        url = enclosure.get("href")
        kind = _kind(enclosure.get("type"), url)
        found.append(media(kind, url) if kind else None)
    for content in entry.get("media_content") or []:
        url = content.get("url")
        medium = content.get("medium")
        kind = medium if medium in ("image", "video") else _kind(content.get("type"), url)
        found.append(media(kind, url) if kind else None)
    found += [media("image", t.get("url")) for t in entry.get("media_thumbnail") or []]
    found.append(media("image", (entry.get("image") or {}).get("href")))
    return media_list(found)


def _is_html(detail: Any) -> bool:
    return isinstance(detail, dict) and detail.get("type") in ("text/html", "application/xhtml+xml")


def _fallback_id(title: str, body: str, published: str | None) -> str:
    """An entry with neither guid nor link still has its words: a stable id made of them."""
    if not (title.strip() or body.strip()):
        raise ValueError("entry without id, link, title or text")
    joined = "\x1f".join((title, body, published or ""))
    return "sha256:" + hashlib.sha256(joined.encode("utf-8", "replace")).hexdigest()[:32]


def to_post(entry: Any, platform: str, author: str | None) -> Post:
    entry = scrub(dict(entry))  # character references can smuggle lone surrogates in too
    # The full content (content:encoded, Atom content) when there is one: the summary is its cut.
    contents = [c.get("value") for c in entry.get("content") or [] if c.get("value")]
    source = max(contents, key=len) if contents else entry.get("summary") or ""
    body, links = html_to_text(source)
    title = entry.get("title") or ""
    if _is_html(entry.get("title_detail")):
        title = html_to_text(title)[0]
    # Mastodon feeds repeat the post as the title; keep the text once.
    if title and body.startswith(title.rstrip("…. ")):
        text = body
    else:
        text = "\n\n".join(p for p in (title, body) if p)
    ident = entry.get("id") or entry.get("link") or _fallback_id(title, source, entry.get("published"))
    # "jane@example.com (Jane Doe)" is RSS's author form: the name is the handle, not the whole string.
    person = entry.get("author_detail") or {}
    handle = person.get("name") or person.get("email") or entry.get("author") or author
    return Post(
        platform=platform,
        id=ident,
        url=entry.get("link"),
        created_at=_when(entry),
        author=Author(handle=handle, display_name=person.get("name")) if handle else None,
        text=text,
        links=unique(links),
        hashtags=unique(t.get("term") for t in entry.get("tags") or []),
        media=_media(entry),
    )


def parse_page(endpoint: str, body: Any, *, platform: str = "rss", author: str | None = None, **_: Any) -> Page:
    """Map a whole feed document (bytes or text) to posts; feeds have no next page."""
    if endpoint != "feed":
        raise UnknownEndpoint(f"unknown rss endpoint {endpoint!r}; known: feed")
    if not isinstance(body, (bytes, str)):
        raise MalformedPage("expected a feed document")
    feed = feedparser.parse(body)
    if not feed.get("version") and not feed.entries:
        raise MalformedPage("not an RSS or Atom feed")
    items, skipped = map_items(list(feed.entries), lambda e: to_post(e, platform, author))
    return items, skipped, None


class RssSource(HttpSource):
    """One feed. The checkpoint keeps the validators and the newest entry time seen."""

    kinds = ()

    def __init__(self, *, url: str, platform: str = "rss", author: str | None = None,
                 query: Query | dict[str, Any] | None = None, name: str | None = None, **kw: Any):
        super().__init__(name=name or f"rss:{url}", **kw)
        self.url, self.platform, self.author = url, platform, author
        self.query = Query(**query) if isinstance(query, dict) else query or Query(kind="search_posts", value=url)

    def queries(self, plan: list[Query]) -> list[Query]:
        return [self.query]  # the feed is what it is, whatever the plan

    async def _collect(self, query: Query, checkpoint: str | None, result: SourceResult) -> None:
        try:
            state = json.loads(checkpoint) if checkpoint else {}
        except ValueError:
            state = {}
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        response = await self._get(self.url, headers=headers, allow=(404, 410))
        if response.status_code == 304:
            result.checkpoint = checkpoint  # unchanged since last time
            return
        if response.status_code >= 400:
            raise Unavailable(f"http {response.status_code}", status_code=response.status_code)
        items, skipped, _ = parse_page("feed", response.content, platform=self.platform, author=self.author)
        newest = state.get("newest")
        fresh = [i for i in items if not newest or i.created_at is None or i.created_at.isoformat() > newest]
        ceiling = self.time_ceiling()  # a future-dated entry must not hide the later ones
        times = [i.created_at.isoformat() for i in items if i.created_at and i.created_at <= ceiling]
        result.items.extend(fresh)
        result.skipped += skipped
        result.checkpoint = json.dumps({
            "etag": response.headers.get("etag"),
            "modified": response.headers.get("last-modified"),
            "newest": max([*times, newest] if newest else times, default=None),
        }, sort_keys=True)
