"""RSS/Atom source: feed mapping, conditional requests (ETag), only-new entries, errors."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from conftest import FIXTURES, instant_policy, run
from sentinelle.ports import Query
from sentinelle.sources import build_source
from sentinelle.sources.common import MalformedPage
from sentinelle.sources.rss import parse_page

FEED = "https://social.example/@maisonlumiere.rss"
RSS = (FIXTURES / "rss" / "mastodon_user.rss").read_bytes()


def source(**kw):
    spec = {"type": "rss", "url": FEED, "platform": "mastodon", "author": "maisonlumiere@social.example", **kw}
    return build_source(spec, policy=instant_policy())


async def fetch(src, checkpoint=None):
    try:
        return await src.fetch(src.queries([])[0], checkpoint)
    finally:
        await src.aclose()


def test_parse_rss_and_atom():
    items, skipped, cursor = parse_page("feed", RSS, platform="mastodon", author="maisonlumiere@social.example")
    # An empty entry is skipped; one with neither guid nor link is read, under an id made of its words.
    assert skipped == 1 and cursor is None and len(items) == 3
    post = items[0]
    assert post.id == "https://social.example/@maisonlumiere/113520411870009002" and post.platform == "mastodon"
    assert post.links == ["https://maisonlumiere.example/horaires"] and post.hashtags == ["LumiereDays"]
    # Enclosures and media:content are media (the audio one neither media nor a link).
    assert [(m.type, m.url) for m in post.media] == [
        ("image", "https://files.social.example/media/horaires.png"),
        ("image", "https://files.social.example/media/vitrine.jpg")]
    assert items[2].id.startswith("sha256:") and items[2].url is None
    assert items[2].text.startswith("Horaires de fin d'année\n\nAn entry")
    assert parse_page("feed", RSS)[0][2].id == items[2].id  # stable from run to run
    assert post.author.handle == "maisonlumiere@social.example" and post.created_at.day == 27
    (entry,), _, _ = parse_page("feed", (FIXTURES / "rss" / "blog.atom").read_text())
    assert entry.author.handle == "Press Office" and entry.text.startswith("Our new loyalty programme\n\nMembers")
    with pytest.raises(MalformedPage):
        parse_page("feed", b"<html><body>not a feed</body></html>")


@respx.mock
def test_etag_is_kept_and_sent_and_304_changes_nothing():
    route = respx.get(FEED).mock(side_effect=[
        httpx.Response(200, content=RSS, headers={"ETag": '"v1"', "Last-Modified": "Fri, 27 Nov 2026 10:00:00 GMT"}),
        httpx.Response(304),
    ])
    first = run(fetch(source()))
    assert first.status == "ok" and len(first.items) == 3 and first.skipped == 1
    state = json.loads(first.checkpoint)
    assert state == {"etag": '"v1"', "modified": "Fri, 27 Nov 2026 10:00:00 GMT", "newest": "2026-11-27T10:00:00+00:00"}
    second = run(fetch(source(), first.checkpoint))
    assert second.items == [] and second.checkpoint == first.checkpoint
    assert route.calls[1].request.headers["If-None-Match"] == '"v1"'
    assert route.calls[1].request.headers["If-Modified-Since"] == "Fri, 27 Nov 2026 10:00:00 GMT"


@respx.mock
def test_changed_feed_yields_only_newer_entries():
    respx.get(FEED).respond(200, content=RSS, headers={"ETag": '"v2"'})
    old = json.dumps({"etag": '"v1"', "modified": None, "newest": "2026-11-26T09:00:00+00:00"})
    result = run(fetch(source(), old))
    assert [i.id.rsplit("/", 1)[-1] for i in result.items] == ["113520411870009002"]


@respx.mock
def test_errors_and_429():
    respx.get(FEED).respond(401)
    assert run(fetch(source())).reason == "credentials"
    respx.get(FEED).respond(404)
    assert run(fetch(source(), "x")).status == "could_not_check"
    respx.get(FEED).respond(200, content=b"<html>gone</html>")
    assert run(fetch(source())).reason == "malformed response"
    policy = instant_policy()
    respx.get(FEED).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "2"}),
                                      httpx.Response(200, content=RSS)])
    src = build_source({"type": "rss", "url": FEED}, policy=policy)
    assert len(run(fetch(src)).items) == 3 and policy.waits == [2.5]


def test_queries_are_the_configured_one():
    src = source(query={"kind": "account_posts", "value": "maisonlumiere@social.example", "platform": "mastodon"})
    assert src.queries([Query(kind="hashtag", value="x")]) == [
        Query(kind="account_posts", value="maisonlumiere@social.example", platform="mastodon")]
    assert src.name == f"rss:{FEED}"
    run(src.aclose())


@respx.mock
def test_a_future_dated_entry_does_not_hide_later_ones():
    future = RSS.replace(b"Fri, 27 Nov 2026 10:00:00 +0000", b"Mon, 01 Jan 2035 10:00:00 +0000")
    respx.get(FEED).respond(200, content=future)
    result = run(fetch(source()))
    assert len(result.items) == 3
    assert json.loads(result.checkpoint)["newest"] == "2026-11-26T09:00:00+00:00"
