"""Every source's parser over responses the platforms really sent (../shared/data/platform-responses,
recorded by the platforms' own client libraries), checked against an independent reading of each
response: the text a reader sees, the links out, the media. Skipped when the folder is absent."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

import feedparser
import pytest

from sentinelle.model import Post, Profile
from sentinelle.sources import bluesky, mastodon, reddit, rss, x, youtube

ROOT = Path(__file__).resolve().parents[3]
RESPONSES = Path(os.environ.get("SENTINELLE_SHARED", ROOT.parent / "shared")) / "data" / "platform-responses"

pytestmark = pytest.mark.skipif(not RESPONSES.is_dir(), reason=f"{RESPONSES} is absent")

_TAG = re.compile(r"<[^>]*(?:>|$)")
_WEB = re.compile(r"https?://")


def words(value: str) -> str:
    return " ".join(value.split())


def bodies(platform: str) -> Iterator[tuple[str, Any]]:
    for path in sorted((RESPONSES / platform).glob("*/*.json")):
        try:
            recorded = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(recorded, dict) and "body" in recorded and (recorded.get("status") in (None, 200)):
            yield path.name, recorded["body"]


def test_the_folder_holds_what_the_readme_says():
    assert sum(1 for _ in RESPONSES.rglob("*.json")) > 1000


# --- Mastodon ---------------------------------------------------------------------------------

_MASTODON_KINDS = {"image": "image", "gifv": "gif", "video": "video"}


def _is_status(value: Any) -> bool:
    return isinstance(value, dict) and "id" in value and "content" in value and isinstance(value.get("account"), dict)


def test_mastodon_statuses_and_accounts():
    checked = pictured = 0
    for name, body in bodies("mastodon"):
        statuses = [s for s in (body if isinstance(body, list) else [body]) if _is_status(s)]
        for status in statuses:
            items, skipped, _ = mastodon.parse_page("statuses", [status])
            if status.get("reblog"):
                assert items == [], name
                continue
            assert skipped == 0 and len(items) == 1, name
            post = items[0]
            text = html.unescape(_TAG.sub("", status["content"]))
            if status.get("spoiler_text"):
                text = f"{status['spoiler_text']} {text}"
            assert "".join(post.text.split()) == "".join(text.split()), name
            expected = [(_MASTODON_KINDS[a["type"]], a.get("url") or a.get("remote_url") or a.get("preview_url"),
                         a.get("description") or None)
                        for a in status.get("media_attachments") or [] if a.get("type") in _MASTODON_KINDS]
            assert [(m.type, m.url, m.alt) for m in post.media] == [e for e in expected if e[1]], name
            pictured += bool(post.media)
            checked += 1
        if isinstance(body, dict) and "acct" in body and "username" in body and not body.get("suspended"):
            (profile,), _, _ = mastodon.parse_page("account", body)
            assert profile.avatar_url == body.get("avatar"), name
            header = body.get("header") or ""
            assert profile.banner_url == (None if not header or header.endswith("missing.png") else header), name
    assert checked > 100 and pictured > 3


# --- Bluesky ----------------------------------------------------------------------------------

def _bsky_embeds(view: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for embed in ((view.get("record") or {}).get("embed") or {}, view.get("embed") or {}):
        out += [embed, embed.get("media") or {}]
    return out


def _bsky_posts(body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    if isinstance(body.get("posts"), list):
        return "searchPosts", body["posts"]
    feed = [e for e in body.get("feed") or [] if isinstance(e, dict)]
    return "getAuthorFeed", [e["post"] for e in feed if "reasonRepost" not in str((e.get("reason") or {}).get("$type"))]


def test_bluesky_posts_and_profiles():
    checked = pictured = carded = profiles = labelled = 0
    for name, body in bodies("bluesky"):
        if not isinstance(body, dict):
            continue
        if "posts" in body or "feed" in body:
            endpoint, views = _bsky_posts(body)
            items, skipped, _ = bluesky.parse_page(endpoint, body)
            assert skipped == 0 and len(items) == len(views), name
            for post, view in zip(items, views):
                assert post.text == view["record"].get("text", ""), name
                cards = [(e.get("external") or {}).get("uri") for e in _bsky_embeds(view)]
                assert {c for c in cards if c} <= set(post.links), name
                images = [(i.get("fullsize") or i.get("thumb"), i.get("alt") or None)
                          for e in _bsky_embeds(view) if str(e.get("$type")).endswith("images#view")
                          for i in e.get("images") or []]
                assert [(m.url, m.alt) for m in post.media if m.type == "image"] == images, name
                pictured += bool(images)
                carded += any(str((view.get("embed") or {}).get("$type")).endswith("recordWithMedia#view")
                              and c for c in cards)
                checked += 1
        actors = body.get("actors") if isinstance(body.get("actors"), list) else (
            [body] if "did" in body and "handle" in body else [])
        for actor in actors:
            (profile,), _, _ = bluesky.parse_page("getProfile", actor)
            assert profile.banner_url == actor.get("banner") and profile.avatar_url == actor.get("avatar"), name
            for url in re.findall(r"https?://\S+", actor.get("description") or ""):
                assert any(url.startswith(link) or link.startswith(url.rstrip(".,)")) for link in profile.links), name
            assert profile.labels == list(dict.fromkeys(
                lab["val"] for lab in actor.get("labels") or [] if not lab.get("neg"))), name
            labelled += "impersonation" in profile.labels
            profiles += 1
    assert checked > 50 and pictured > 3 and carded >= 1 and profiles > 30 and labelled >= 1


# --- X ----------------------------------------------------------------------------------------

_X_KINDS = {"photo": "image", "animated_gif": "gif", "video": "video"}


def test_x_posts_text_links_and_media():
    checked = with_media = 0
    for name, body in bodies("x"):
        if not isinstance(body, dict):
            continue
        data = body.get("data")
        tweets = [data] if isinstance(data, dict) else data if isinstance(data, list) else []
        tweets = [t for t in tweets if isinstance(t, dict) and "text" in t and "id" in t]
        if not tweets:
            continue
        items, skipped, _ = x.parse_page("search_recent", {**body, "data": tweets})
        assert skipped == 0 and len(items) == len(tweets), name
        media_by_key = {m["media_key"]: m for m in (body.get("includes") or {}).get("media") or []}
        for post, tweet in zip(items, tweets):
            assert post.text == html.unescape(tweet["text"]) and "&amp;" not in post.text, name
            urls = [u.get("expanded_url") or u.get("url") for u in (tweet.get("entities") or {}).get("urls") or []
                    if not u.get("media_key")]
            assert post.links == list(dict.fromkeys(u for u in urls if u)), name
            keys = (tweet.get("attachments") or {}).get("media_keys") or []
            expected = [(_X_KINDS.get(media_by_key[k].get("type"), "image"),
                         media_by_key[k].get("url") or media_by_key[k].get("preview_image_url"))
                        for k in keys if k in media_by_key]
            assert [(m.type, m.url) for m in post.media] == [e for e in expected if e[1]], name
            with_media += bool(keys)
            checked += 1
    assert checked > 50 and with_media >= 1


# --- Reddit -----------------------------------------------------------------------------------

def test_reddit_links_media_and_authors():
    checked = 0
    for name, body in bodies("reddit"):
        if not (isinstance(body, dict) and body.get("kind") == "Listing"):
            continue
        things = [c for c in body["data"]["children"] if c.get("kind") == "t3"]
        items, skipped, _ = reddit.parse_page("listing", body)
        assert skipped == 0 and len(items) == len(things), name
        for post, thing in zip(items, things):
            d = thing["data"]
            assert post.text.startswith(d["title"]), name
            for link in post.links:
                assert _WEB.match(link) and not re.search(r"//(i|v|preview)\.redd\.it/", link), name  # media
            outbound = d.get("url_overridden_by_dest") or d.get("url") or ""
            if not d.get("is_self") and _WEB.match(outbound) and "redd" not in outbound:
                assert outbound in post.links, name
            for url in re.findall(r"https?://[^\s)\]`]+", d.get("selftext") or ""):
                assert any(link.startswith(url.rstrip(".,")[:30]) for link in post.links), name
            assert (post.author is None) == (d.get("author") in ("[deleted]", "[removed]", None)), name
            checked += 1
    assert checked > 50


# --- YouTube ----------------------------------------------------------------------------------

def test_youtube_text_and_thumbnails():
    checked = 0
    for name, body in bodies("youtube"):
        items_raw = body.get("items") if isinstance(body, dict) else None
        if not items_raw:
            continue
        kind = items_raw[0].get("kind")
        endpoint = {"youtube#searchResult": "search", "youtube#channel": "channels",
                    "youtube#playlistItem": "playlist_items"}.get(kind)
        if endpoint is None:
            continue
        items, _, _ = youtube.parse_page(endpoint, body)
        for item in items:
            raw = next(r for r in items_raw if item.id in json.dumps(r))
            snippet = raw["snippet"]
            if isinstance(item, Post):
                assert item.text.startswith(html.unescape(snippet["title"])), name
                assert "&#39;" not in item.text and "&amp;" not in item.text and "&quot;" not in item.text, name
                thumbs = snippet.get("thumbnails") or {}
                if thumbs:
                    assert len(item.media) == 1 and item.media[0].url in {t["url"] for t in thumbs.values()}, name
            else:
                assert isinstance(item, Profile) and item.display_name == html.unescape(snippet["title"]), name
                banner = ((raw.get("brandingSettings") or {}).get("image") or {}).get("bannerExternalUrl")
                assert item.banner_url == banner, name
            checked += 1
    assert checked > 20


# --- RSS and Atom -----------------------------------------------------------------------------

def test_rss_full_content_titles_ids_enclosures_and_authors():
    feeds = [p for p in sorted((RESPONSES / "rss").glob("*/*")) if not p.name.endswith(".source.json")]
    checked = enclosed = 0
    for path in feeds:
        raw = path.read_bytes()
        parsed = feedparser.parse(raw)
        if not parsed.get("version") and not parsed.entries:
            continue
        items, skipped, _ = rss.parse_page("feed", raw)
        readable = [e for e in parsed.entries
                    if e.get("id") or e.get("link") or (e.get("title") or "").strip() or (e.get("summary") or "").strip()
                    or any(c.get("value") for c in e.get("content") or [])]
        assert len(items) == len(readable), path.name
        for post, entry in zip(items, readable):
            contents = [c.get("value") for c in entry.get("content") or [] if c.get("value")]
            body = max(contents, key=len) if contents else entry.get("summary") or ""
            body_words = "".join(html.unescape(_TAG.sub(" ", body)).split())
            assert body_words[:40] in "".join(post.text.split()), path.name
            enclosures = {e.get("href") for e in entry.get("enclosures") or []}
            assert not enclosures & set(post.links), path.name
            pictures = {e.get("href") for e in entry.get("enclosures") or []
                        if str(e.get("type", "")).startswith(("image/", "video/")) and _WEB.match(e.get("href") or "")}
            assert pictures <= {m.url for m in post.media}, path.name
            enclosed += bool(pictures)
            detail = entry.get("author_detail") or {}
            if detail.get("name") and detail.get("email"):
                assert post.author.handle == detail["name"], path.name
            title = entry.get("title") or ""
            if (entry.get("title_detail") or {}).get("type") == "text/html" and _TAG.search(title):
                assert not _TAG.search(post.text.split("\n\n")[0]), path.name
            checked += 1
    assert checked > 100 and enclosed >= 1
