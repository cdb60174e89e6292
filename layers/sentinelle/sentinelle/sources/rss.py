"""RSS/Atom: any feed URL as a source of posts, fetched conditionally (ETag / Last-Modified)."""

from __future__ import annotations

import calendar
import json
from datetime import datetime, timezone
from typing import Any

import feedparser

from sentinelle.ports import Query, SourceResult
from sentinelle.http import Unavailable
from sentinelle.model import Author, Post
from sentinelle.sources.common import (
    HttpSource, MalformedPage, Page, UnknownEndpoint, html_to_text, map_items, scrub, unique,
)


def _when(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc) if parsed else None


def to_post(entry: Any, platform: str, author: str | None) -> Post:
    entry = scrub(dict(entry))  # character references can smuggle lone surrogates in too
    summary, links = html_to_text(entry.get("summary") or "")
    title = entry.get("title") or ""
    # Mastodon feeds repeat the post as the title; keep the text once.
    if title and summary.startswith(title.rstrip("…. ")):
        text = summary
    else:
        text = "\n\n".join(p for p in (title, summary) if p)
    ident = entry.get("id") or entry.get("link")
    if not ident:
        raise ValueError("entry without id or link")
    handle = entry.get("author") or author
    return Post(
        platform=platform,
        id=ident,
        url=entry.get("link"),
        created_at=_when(entry),
        author=Author(handle=handle) if handle else None,
        text=text,
        links=unique([*links, *(e.get("href") for e in entry.get("enclosures") or [])]),
        hashtags=unique(t.get("term") for t in entry.get("tags") or []),
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
