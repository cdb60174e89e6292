"""Faults at the platforms, through the real adapters (respx) and the pipeline into a SQLite file.

Every test asserts the three promises: no item is lost (recorded now, or re-read next run), no
incident is duplicated, and each incident is `new` exactly once across runs.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from sentinelle.detectors.base import Context, Detector
from sentinelle.ports import Query
from sentinelle.http import RetryPolicy
from sentinelle.model import Finding, Severity, Subject
from sentinelle.pipeline import RunSummary, scan
from sentinelle.sources import build_source
from sentinelle.store.sqlite import SQLiteStore
from sentinelle.watchlist import parse_watchlist

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
WL = parse_watchlist({"organization": "Acme", "brands": [{"name": "Acme", "hashtags": ["Acme"]}]})
INSTANCE = "mastodon.example"
TAG_URL = f"https://{INSTANCE}/api/v1/timelines/tag/Acme"
QUERY = Query(kind="hashtag", value="Acme")


class EveryItem(Detector):
    """One finding per post: incidents then count items, so a lost or doubled item shows."""

    name = "every_item"

    def plan(self, watchlist: Any) -> list[Query]:
        return [QUERY]

    def detect(self, item: Any, ctx: Context) -> list[Finding]:
        return [Finding(detector=self.name, kind="seen", severity=Severity.medium, score=50, reasons=["read"],
                        subject=Subject(platform=item.platform, kind="post", id=item.id), item_id=item.id)]


def status(i: int) -> dict[str, Any]:
    return {"id": str(110_000 + i), "created_at": "2026-11-27T09:00:00Z", "url": f"https://{INSTANCE}/@a/{110_000 + i}",
            "content": f"<p>post {i} #Acme</p>", "language": "en", "tags": [{"name": "Acme"}],
            "account": {"id": "7", "acct": "someone", "url": f"https://{INSTANCE}/@someone", "display_name": "S"}}


def page(ids: range, *, next_max: str | None = None) -> httpx.Response:
    headers = {"Link": f'<{TAG_URL}?max_id={next_max}>; rel="next"'} if next_max else {}
    return httpx.Response(200, json=[status(i) for i in sorted(ids, reverse=True)], headers=headers)


class Waits:
    """The retry policy's sleep, recorded rather than slept."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture
def store(tmp_path: Path):
    with SQLiteStore(tmp_path / "faults.db") as s:
        yield s


def source(waits: Waits, *, max_pages: int = 3) -> Any:
    policy = RetryPolicy(max_attempts=3, max_total_wait=60, sleep=waits, rng=lambda: 0.0)
    return build_source({"type": "mastodon", "instance": INSTANCE, "max_pages": max_pages}, policy=policy,
                        secrets=lambda name: None)


def run(store: SQLiteStore, src: Any, *, at: datetime = NOW, timeout: float = 30.0) -> RunSummary:
    async def go() -> RunSummary:
        try:
            return await scan(EveryItem(), WL, [src], store, store, now=at, ctx=Context.ephemeral(watchlist=WL, now=at),
                              source_timeout=timeout)
        finally:
            await src.aclose()

    return asyncio.run(go())


def recorded_ids(store: SQLiteStore) -> list[str]:
    return sorted(i.subject.id for i in store.list(limit=1000).items)


def checkpoint(store: SQLiteStore) -> str | None:
    return store.get_checkpoint(f"mastodon:{INSTANCE}", QUERY.key)


def ids(r: range) -> list[str]:
    return sorted(str(110_000 + i) for i in r)


# ------------------------------------------------------------------------------------ tests

@respx.mock
def test_429_then_success_records_each_item_exactly_once(store) -> None:
    waits = Waits()
    route = respx.get(TAG_URL).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), page(range(5))])
    summary = run(store, source(waits))
    assert route.call_count == 2 and waits.slept == [7.0]  # Retry-After honoured, once
    assert summary.new == 5 and summary.could_not_check == []
    assert recorded_ids(store) == ids(range(5))
    assert checkpoint(store) == str(110_004)


@respx.mock
def test_persistent_5xx_is_could_not_check_then_the_next_run_reads_everything(store) -> None:
    waits = Waits()
    respx.get(TAG_URL).mock(return_value=httpx.Response(503))
    first = run(store, source(waits))
    assert [r.status for r in first.sources] == ["could_not_check"] and "503" in first.sources[0].reason
    assert checkpoint(store) is None and recorded_ids(store) == []
    respx.get(TAG_URL).mock(return_value=page(range(4)))
    second = run(store, source(waits), at=NOW + timedelta(minutes=15))
    assert second.new == 4 and recorded_ids(store) == ids(range(4))


@respx.mock
def test_timeouts_leave_the_checkpoint_where_it_was(store) -> None:
    waits = Waits()
    respx.get(TAG_URL).mock(return_value=page(range(3)))
    run(store, source(waits))
    before = checkpoint(store)
    respx.get(TAG_URL).mock(side_effect=httpx.ReadTimeout("slow"))
    summary = run(store, source(waits), at=NOW + timedelta(minutes=15))
    assert summary.sources[0].status == "could_not_check" and summary.sources[0].reason == "timeout"
    assert checkpoint(store) == before
    respx.get(TAG_URL).mock(return_value=page(range(6)))
    third = run(store, source(waits), at=NOW + timedelta(minutes=30))
    assert third.new == 3 and recorded_ids(store) == ids(range(6))


@respx.mock
def test_a_source_that_hangs_past_the_pipeline_timeout_moves_nothing(store) -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return page(range(2))

    respx.get(TAG_URL).mock(side_effect=hang)
    summary = run(store, source(Waits()), timeout=0.2)
    assert summary.sources[0].status == "could_not_check" and checkpoint(store) is None
    assert recorded_ids(store) == []


@pytest.mark.parametrize("body", ['[{"id": "1", "content": "<p>trunc', "", "<html>502 Bad Gateway</html>", "null",
                                  '{"error": "x"}', "[" * 10_000 + "]" * 10_000])
@respx.mock
def test_truncated_or_non_json_pages_are_could_not_check(store, body: str) -> None:
    respx.get(TAG_URL).mock(return_value=httpx.Response(200, content=body.encode(),
                                                        headers={"content-type": "application/json"}))
    summary = run(store, source(Waits()))
    assert summary.sources[0].status == "could_not_check", summary.sources[0]
    assert checkpoint(store) is None and recorded_ids(store) == []


@respx.mock
def test_hostile_items_among_good_ones_are_skipped_and_counted(store) -> None:
    good = [status(i) for i in (3, 2, 1)]
    hostile = [None, 17, "x", [], {}, {"id": "9"}, {"id": {"$gt": ""}, "account": []},
               {**status(4), "account": None}, {**status(5), "created_at": "yesterday"},
               {**status(6), "content": 12}]
    respx.get(TAG_URL).mock(return_value=httpx.Response(200, json=[*hostile, *good]))
    summary = run(store, source(Waits()))
    assert summary.sources[0].status == "ok"
    assert summary.items_skipped == len(hostile)  # each malformed entry counted, none fatal
    assert recorded_ids(store) == ids(range(1, 4))


@respx.mock
def test_failure_on_page_two_keeps_page_one_and_rereads_it_next_run(store) -> None:
    """Page 1 read, page 2 fails: page 1 is recorded, the checkpoint stays, nothing lost or doubled."""
    newest, older = range(6, 11), range(1, 6)
    respx.get(TAG_URL, params={"max_id": "110006"}).mock(return_value=httpx.Response(503))
    respx.get(TAG_URL).mock(return_value=page(newest, next_max="110006"))
    first = run(store, source(Waits()))
    assert first.sources[0].status == "partial" and checkpoint(store) is None
    assert recorded_ids(store) == ids(newest)
    respx.routes.clear()
    respx.get(TAG_URL, params={"max_id": "110006"}).mock(return_value=page(older))
    respx.get(TAG_URL).mock(return_value=page(newest, next_max="110006"))
    second = run(store, source(Waits()), at=NOW + timedelta(minutes=15))
    assert second.new == 5 and second.repeat == 5  # page 1 again: a repeat, not a new incident
    assert recorded_ids(store) == ids(range(1, 11))
    assert checkpoint(store) == "110010"


def _replay_line(i: int, text: str) -> str:
    return json.dumps({"type": "post", "platform": "replay", "id": f"r{i}", "text": text,
                       "author": {"id": "1", "handle": "someone"}})


def test_hostile_replay_lines_are_skipped_with_a_count(store, tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join([_replay_line(1, "ok"), '{"type": "post", "platform": "replay", "id": "r2", "te',
                               "[" * 50_000, "null", '{"type": "post"}', _replay_line(3, "ok")]) + "\n")
    src = build_source({"type": "replay", "path": str(path), "query": QUERY.model_dump()})
    summary = run(store, src)
    assert summary.items_skipped == 4 and summary.new == 2
    assert sorted(i.subject.id for i in store.list().items) == ["r1", "r3"]


@respx.mock
def test_a_lone_surrogate_post_does_not_block_its_source(store) -> None:
    """A JSON "\\ud800" escape decodes to a lone surrogate that no store can encode: one such post
    must not make its whole source unrecordable (and so never checkpointed) run after run."""
    bad = {**status(2), "spoiler_text": "bad SURROGATE text"}  # plain text, not HTML
    body = json.dumps([status(3), bad, status(1)]).replace("SURROGATE", "\\ud800")
    respx.get(TAG_URL).mock(return_value=httpx.Response(200, content=body.encode(),
                                                        headers={"content-type": "application/json"}))

    class Quoting(EveryItem):
        def detect(self, item: Any, ctx: Context) -> list[Finding]:
            (f,) = super().detect(item, ctx)
            return [f.model_copy(update={"evidence": {"context": item.text}})]

    src = source(Waits())

    async def go() -> RunSummary:
        try:
            return await scan(Quoting(), WL, [src], store, store, now=NOW, ctx=Context.ephemeral(watchlist=WL, now=NOW))
        finally:
            await src.aclose()

    summary = asyncio.run(go())
    assert summary.could_not_check == []
    assert set(ids(range(1, 4, 2))) <= set(recorded_ids(store))
