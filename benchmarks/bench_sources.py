"""Source speed: page parsing per platform, HTML to text, replay, and the HTTP layer without network."""

from __future__ import annotations

import asyncio
import copy
import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import httpx

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
N = 10_000  # items per measure


def _load(rel: str) -> Any:
    return json.loads((FIXTURES / rel).read_text(encoding="utf-8"))


def _cpu(fn: Callable[[], Any]) -> float:
    """CPU seconds of this process (steadier than wall time on a shared machine); best of 3."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        fn()
        best = min(best, time.process_time() - started)
    return best


def _pages(template: list[dict[str, Any]], per_page: int, renumber: Callable[[dict[str, Any], int], None]
           ) -> list[list[dict[str, Any]]]:
    """N distinct items cut into pages, each a copy of the fixture items with a new id."""
    items = []
    for n in range(N):
        item = copy.deepcopy(template[n % len(template)])
        renumber(item, n)
        items.append(item)
    return [items[i:i + per_page] for i in range(0, N, per_page)]


def _parse_rows() -> list[tuple[str, str, str]]:
    from sentinelle.sources import bluesky, mastodon, reddit, rss, x, youtube

    rows = []

    def set_key(key: str, prefix: str = "") -> Callable[[dict[str, Any], int], None]:
        def renumber(item: dict[str, Any], n: int) -> None:
            item[key] = f"{prefix}{10**17 + n}"
        return renumber

    statuses = _pages(_load("mastodon/tag_timeline_page1.json"), 40, set_key("id"))
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("mastodon statuses (HTML content), 40 per page",
         lambda: [mastodon.parse_page("statuses", p) for p in statuses]),
    ]
    posts = _pages(_load("bluesky/searchPosts_page1.json")["posts"], 100, set_key("uri", "at://did:plc:b/app.bsky.feed.post/"))
    cases.append(("bluesky searchPosts, 100 per page",
                  lambda: [bluesky.parse_page("searchPosts", {"posts": p}) for p in posts]))
    body = _load("x/search_recent_page1.json")
    tweets = _pages(body["data"], 100, set_key("id"))
    cases.append(("x recent search with includes.users, 100 per page",
                  lambda: [x.parse_page("search_recent", {"data": p, "includes": body["includes"]}) for p in tweets]))

    def reddit_id(item: dict[str, Any], n: int) -> None:
        item["data"]["name"] = f"t3_{n:x}"
    links = _pages(_load("reddit/search_page1.json")["data"]["children"], 100, reddit_id)
    cases.append(("reddit Listing, 100 per page",
                  lambda: [reddit.parse_page("search", {"kind": "Listing", "data": {"children": p}}) for p in links]))

    def video_id(item: dict[str, Any], n: int) -> None:
        item["id"]["videoId"] = f"v{n}"
    videos = _pages(_load("youtube/search_videos_page1.json")["items"], 50, video_id)
    cases.append(("youtube search (links from descriptions), 50 per page",
                  lambda: [youtube.parse_page("search", {"items": p}) for p in videos]))
    entry = (FIXTURES / "rss" / "mastodon_user.rss").read_text().split("<item>")[1].split("</item>")[0]
    feed = ("<rss version='2.0'><channel><title>t</title>"
            + "".join(f"<item>{entry.replace('113520411870009002', str(n))}</item>" for n in range(100))
            + "</channel></rss>").encode()
    for name, fn in cases:
        t = _cpu(fn)
        rows.append((f"parse_page: {name}", f"{t:.2f} s / {N:,} items", f"{N / t:,.0f} items/s"))
    feeds = [feed] * 20  # feedparser is slow: 2,000 entries are enough to measure it
    t = _cpu(lambda: [rss.parse_page("feed", f) for f in feeds])
    rows.append(("parse_page: rss feed (feedparser), 100 entries per feed", f"{t:.2f} s / 2,000 items",
                 f"{2_000 / t:,.0f} items/s"))
    return rows


_TAG = re.compile(r"<[^>]+>")


def _html_rows() -> list[tuple[str, str, str]]:
    from sentinelle.sources.common import html_to_text

    html = [s["content"] for s in _load("mastodon/tag_timeline_page1.json")] * (N // 2)
    t = _cpu(lambda: [html_to_text(h) for h in html])
    base = _cpu(lambda: [_TAG.sub("", h) for h in html])
    return [("html_to_text (selectolax lexbor: text, paragraphs, links)", f"{t / N * 1e6:.0f} µs/status",
             f"{N / t:,.0f} statuses/s"),
            ("baseline: one regex stripping tags (no links, no paragraphs, entities left)",
             f"{base / N * 1e6:.1f} µs/status", f"{N / base:,.0f} statuses/s")]


def _replay_rows() -> list[tuple[str, str, str]]:
    from sentinelle.ports import Query
    from sentinelle.sources.replay import ReplaySource

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        item = {"type": "post", "platform": "mastodon", "id": "0", "text": "Win a gift card at prize.example",
                "author": {"id": "1", "handle": "someone@social.example"}, "links": ["https://prize.example"],
                "created_at": "2026-11-20T09:30:00Z"}
        lines = [json.dumps({**item, "id": str(n)}) for n in range(N)]
        Path(tmp, "items.jsonl").write_text("\n".join(lines) + "\n")
        page = _load("mastodon/tag_timeline_page1.json")
        Path(tmp, "pages.jsonl").write_text("\n".join(json.dumps(page) for _ in range(N // 2)) + "\n")
        q = Query(kind="hashtag", value="x")
        uniform = ReplaySource(path="items.jsonl", base_dir=tmp)
        pages = ReplaySource(path="pages.jsonl", base_dir=tmp, platform="mastodon", endpoint="statuses")
        t = _cpu(lambda: asyncio.run(uniform.fetch(q, None)))
        rows.append((f"replay: {N:,} uniform item lines", f"{t:.2f} s", f"{N / t:,.0f} items/s"))
        t = _cpu(lambda: asyncio.run(pages.fetch(q, None)))
        rows.append((f"replay: {N // 2:,} recorded Mastodon pages ({N:,} statuses)", f"{t:.2f} s",
                     f"{N / t:,.0f} items/s"))
        t = _cpu(lambda: asyncio.run(uniform.fetch(q, str(N))))
        rows.append(("replay: a later run with no new line", f"{t * 1000:.1f} ms", "reads the file, maps nothing"))
    return rows


def _http_rows() -> list[tuple[str, str, str]]:
    from sentinelle.ports import Query
    from sentinelle.http import make_client
    from sentinelle.sources.x import XSource

    body = _load("x/search_recent_page1.json")
    data = [dict(body["data"][n % 2], id=str(10**18 + n)) for n in range(100)]
    page = json.dumps({"data": data, "includes": body["includes"], "meta": {"next_token": "t"}}).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=page, headers={"content-type": "application/json"})

    pages = 50
    rows = []

    async def scan() -> int:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        source = XSource(bearer_token="bench", read_budget=10**9, max_pages=pages, client=client)
        result = await source.fetch(Query(kind="search_posts", value="bench"), None)
        await client.aclose()
        return len(result.items)

    t = _cpu(lambda: asyncio.run(scan()))
    rows.append((f"x source fetch: {pages} pages x 100 posts through the HTTP layer (mock transport)",
                 f"{t / pages * 1000:.1f} ms/page", f"{pages * 100 / t:,.0f} posts/s"))

    async def clients(make: Callable[[], httpx.AsyncClient]) -> None:
        for _ in range(20):
            await make().aclose()

    shared = _cpu(lambda: asyncio.run(clients(make_client)))
    fresh = _cpu(lambda: asyncio.run(clients(httpx.AsyncClient)))
    rows.append(("make_client (one shared TLS context)", f"{shared / 20 * 1000:.1f} ms/client", ""))
    rows.append(("baseline: httpx.AsyncClient() (loads the CA bundle each time)",
                 f"{fresh / 20 * 1000:.1f} ms/client", ""))
    return rows


def run() -> str:
    lines = ["## Sources", "",
             "`python -m benchmarks sources`. CPU time of the process, best of 3, no network: pages are",
             "copies of the fixtures under `tests/fixtures/<platform>/` with distinct ids. A live scan",
             "waits on the platforms (tens to hundreds of ms per page), so parsing is not its bottleneck.",
             "",
             "| measure | value | rate |", "|---|---|---|"]
    for name, value, rate in _parse_rows() + _html_rows() + _replay_rows() + _http_rows():
        lines.append(f"| {name} | {value} | {rate} |")
    out = "\n".join(lines) + "\n"
    return out


if __name__ == "__main__":
    print(run())
