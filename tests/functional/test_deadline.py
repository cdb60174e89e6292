"""A unit that reaches its deadline mid-collection loses nothing: what was read is recorded, the
checkpoint ends where those items end, and the next run reads the rest (replay, Reddit paging)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import respx

from sentinelle.detectors.base import Context, Detector
from sentinelle.http import RetryPolicy
from sentinelle.model import Finding, Post, Profile, Severity, Subject
from sentinelle.pipeline import RunSummary, checkpoint_query, scan
from sentinelle.ports import Deadline, Query, Source
from sentinelle.sources.reddit import RedditSource
from sentinelle.sources.replay import ReplaySource
from sentinelle.store.sqlite import SQLiteStore
from sentinelle.watchlist import Watchlist, parse_watchlist

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 11, 28, 9, tzinfo=timezone.utc)
SEARCH = Query(kind="search_posts", value="Maison Lumière")
WL = parse_watchlist({"organization": "Maison Lumière"})


class EveryItem(Detector):
    """Test detector (not registered): one finding per item, so incidents count items recorded."""

    name = "every_item"
    audience = "any"

    def plan(self, watchlist: Watchlist) -> list[Query]:
        return [SEARCH]

    def detect(self, item: Post | Profile, ctx: Context) -> list[Finding]:
        return [Finding(detector=self.name, kind="seen", severity=Severity.medium, score=50, reasons=["seen"],
                        subject=Subject(platform=item.platform, kind="post", id=item.id), item_id=item.id)]


class Clock:
    """A monotonic clock the test moves (a slow page, a slow line)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def scan_once(store: SQLiteStore, source: Source, deadline: Deadline | None = None) -> RunSummary:
    async def go() -> RunSummary:
        try:
            return await scan(EveryItem(), WL, [source], store, store, now=NOW, deadline=deadline,
                              ctx=Context.ephemeral(watchlist=WL, now=NOW))
        finally:
            await source.aclose()

    return asyncio.run(go())


def incidents(store: SQLiteStore) -> list[str]:
    return sorted(i.subject.id for i in store.list(limit=200).items)


def test_replay_stops_at_the_deadline_and_the_next_run_reads_the_rest(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps({"type": "post", "platform": "mastodon", "id": f"p{n}",
                                        "url": f"https://social.example/@a/{n}", "text": "hello",
                                        "author": {"id": "1", "handle": "a"}}) + "\n" for n in range(5)))
    store = SQLiteStore(tmp_path / "s.db")
    clock = Clock()
    calls = 0

    def ticking() -> float:  # every look at the clock is 10 s later: the pipeline looks twice, then once a line
        nonlocal calls
        calls += 1
        return clock() + 10 * calls

    source = ReplaySource(path=str(feed), query=SEARCH)
    first = scan_once(store, source, Deadline(at=48, margin=5, clock=ticking))
    report = first.sources[0]
    assert (report.status, report.reason) == ("partial", "deadline") and first.items_read == 2
    key = (source.name, checkpoint_query("every_item", SEARCH))
    assert store.get_checkpoint(*key) == "2"  # past the two lines recorded, not the file's end
    assert incidents(store) == ["p0", "p1"]
    second = scan_once(store, ReplaySource(path=str(feed), query=SEARCH))
    assert second.items_read == 3 and second.new == 3 and second.repeat == 0
    assert incidents(store) == [f"p{n}" for n in range(5)] and store.get_checkpoint(*key) == "5"
    store.close()


def test_no_time_to_start_leaves_the_unit_whole(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    (tmp_path / "feed.jsonl").write_text('{"type": "post", "platform": "mastodon", "id": "p0", "text": "hi"}\n')
    source = ReplaySource(path=str(tmp_path / "feed.jsonl"), query=SEARCH)
    clock = Clock()
    summary = scan_once(store, source, Deadline(at=3, margin=5, clock=clock))
    assert (summary.sources[0].status, summary.sources[0].reason) == ("could_not_check", "deadline")
    assert store.get_checkpoint(source.name, checkpoint_query("every_item", SEARCH)) is None
    store.close()


def policy() -> RetryPolicy:
    async def no_sleep(seconds: float) -> None:
        return None

    return RetryPolicy(sleep=no_sleep, rng=lambda: 0.5, clock=lambda: 1_795_867_200.0)


def reddit() -> RedditSource:
    return RedditSource(client_id="fake-id", client_secret="fake-secret", policy=policy(),
                        user_agent="test:sentinelle:1.0 (by /u/fake_ops)")


def body(name: str) -> Any:
    return json.loads((FIXTURES / "reddit" / name).read_text())


@respx.mock
def test_paging_stops_at_the_deadline_and_resumes_where_it_stopped(tmp_path: Path) -> None:
    """Newest first: page 1 is recorded at the deadline; the next run reads page 2 (down to the old
    checkpoint) before anything else, then the checkpoint is the newest post recorded."""
    respx.post("https://www.reddit.com/api/v1/access_token").respond(200, json=body("token.json"))
    clock = Clock()

    def slow_page(request: httpx.Request) -> httpx.Response:
        clock.now += 100  # the first page took the rest of the invocation
        return httpx.Response(200, json=body("search_page1.json"))

    search = respx.get("https://oauth.reddit.com/search").mock(side_effect=[
        slow_page, httpx.Response(200, json=body("search_page2.json")),
        httpx.Response(200, json=body("search_page1.json"))])
    store = SQLiteStore(tmp_path / "s.db")
    key = ("reddit", checkpoint_query("every_item", SEARCH))

    first = scan_once(store, reddit(), Deadline(at=60, margin=5, clock=clock))
    assert (first.sources[0].status, first.sources[0].reason) == ("partial", "deadline; the rest next run")
    assert incidents(store) == ["t3_1h2k3l4", "t3_1h2k3l5"] and search.call_count == 1
    assert store.get_checkpoint(*key).startswith("resume:")  # not the newest post: page 2 is unread

    second = scan_once(store, reddit())
    assert search.calls[1].request.url.params["after"] == "t3_1h2k3l4"  # resumed, not from the top
    assert second.new == 1 and second.repeat == 0
    assert incidents(store) == ["t3_1h2k3l0", "t3_1h2k3l4", "t3_1h2k3l5"]
    assert store.get_checkpoint(*key) == "2025-11-27T09:50:00+00:00"  # the newest recorded post

    third = scan_once(store, reddit())
    assert third.items_read == 0 and third.new == 0  # nothing newer than the checkpoint
    store.close()


@respx.mock
def test_a_refused_resume_position_reads_anew_down_to_the_old_checkpoint(tmp_path: Path) -> None:
    from sentinelle.sources.common import Resume

    respx.post("https://www.reddit.com/api/v1/access_token").respond(200, json=body("token.json"))
    search = respx.get("https://oauth.reddit.com/search").mock(side_effect=[
        httpx.Response(400, json={"message": "Bad Request"}),
        httpx.Response(200, json=body("search_page1.json")), httpx.Response(200, json=body("search_page2.json"))])
    store = SQLiteStore(tmp_path / "s.db")
    key = ("reddit", checkpoint_query("every_item", SEARCH))
    store.put_checkpoint(*key, Resume("t3_expired", None, None).encode(), NOW)
    summary = scan_once(store, reddit())
    assert search.calls[0].request.url.params["after"] == "t3_expired"
    assert "after" not in search.calls[1].request.url.params  # from the newest again
    assert summary.sources[0].status == "ok" and summary.new == 3
    assert store.get_checkpoint(*key) == "2025-11-27T09:50:00+00:00"
    store.close()


def test_running_out_of_time_is_not_a_failing_source(tmp_path: Path) -> None:
    """A unit the run had no time to start is reported, but never counts towards the source's
    health incident: the source was not down, the run was short."""
    from sentinelle.config import load_config
    from sentinelle.runner import run_detector
    from sentinelle.sources.health import consecutive_failures

    demo = Path(__file__).resolve().parents[2] / "examples" / "demo" / "sentinelle.yaml"
    store = SQLiteStore(tmp_path / "s.db")
    for _ in range(3):
        summary = run_detector("scams", config=load_config(str(demo)), store=store,
                               deadline=Deadline(at=0, margin=5, clock=Clock()))
        assert summary.could_not_check and all(r.reason == "deadline" for r in summary.sources)
    assert all(consecutive_failures(store, r.source) == 0 for r in summary.sources)
    assert store.list(limit=10).items == []  # no source_unavailable incident
    store.close()
