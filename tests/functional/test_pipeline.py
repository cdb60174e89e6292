"""The scan pipeline against a real SQLite file: dedup, checkpoints after recording, honest summaries."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from sentinelle.detectors.base import Context, Detector
from sentinelle.ports import Query, SourceResult
from sentinelle.model import Author, Finding, Post, Severity, Subject
from sentinelle.pipeline import scan
from sentinelle.store.sqlite import SQLiteStore
from sentinelle.watchlist import parse_watchlist

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
WL = parse_watchlist({"organization": "Acme", "brands": [{"name": "Acme", "domains": ["acme.example"]}],
                      "official_accounts": [{"platform": "mastodon", "handle": "acme"}]})


class WordDetector(Detector):
    """Flags posts containing 'scam'; raises on posts containing 'boom' (a detector bug)."""

    name = "word"

    def plan(self, watchlist):
        return [Query(kind="hashtag", value="Acme"), Query(kind="search_posts", value="Acme")]

    def detect(self, item, ctx):
        if "boom" in item.text:
            raise RuntimeError("detector bug")
        if "scam" not in item.text:
            return []
        sev = Severity.high if "card" in item.text else Severity.medium
        return [Finding(detector=self.name, kind="scam", severity=sev, score=80 if sev == Severity.high else 55,
                        reasons=["says scam"], subject=Subject(platform=item.platform, kind="account",
                                                               id=item.author.id, handle=item.author.handle),
                        item_id=item.id)]


def post(i: int, text: str, handle: str = "stranger") -> Post:
    return Post(platform="mastodon", id=str(i), text=text, author=Author(id=f"a-{handle}", handle=handle))


class FakeSource:
    """Serves a fixed list of posts per query kind; `checkpoint` is the newest id read."""

    platform = "mastodon"

    def __init__(self, name, posts, *, status="ok", reason=None, delay=0.0, kinds=("hashtag", "search_posts")):
        self.name, self.posts, self.status, self.reason, self.delay, self.kinds = name, posts, status, reason, delay, kinds
        self.seen_checkpoints = []

    def queries(self, plan):
        return [q for q in plan if q.kind in self.kinds]

    async def fetch(self, query, checkpoint, deadline=None):
        self.seen_checkpoints.append(checkpoint)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status == "could_not_check":
            return SourceResult(status="could_not_check", reason=self.reason)
        since = int(checkpoint or 0)
        items = [p for p in self.posts if int(p.id) > since]
        top = max([int(p.id) for p in items], default=since)
        return SourceResult(items=items, status=self.status, reason=self.reason, checkpoint=str(top))

    async def aclose(self):
        pass


@pytest.fixture
def store(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as s:
        yield s


def run(store, sources, *, now=NOW, **kw):
    return asyncio.run(scan(WordDetector(), WL, sources, store, store, now=now, ctx=Context.ephemeral(watchlist=WL, now=now), **kw))


def test_scan_records_and_a_second_run_adds_nothing(store):
    src = FakeSource("fake:1", [post(1, "scam here"), post(2, "hello"), post(3, "scam card", "other")])
    first = run(store, [src])
    assert (first.items_read, first.findings, first.new) == (6, 2, 2)  # two queries answer the same posts
    assert len(store.pending_alerts()) == 2
    store.mark_sent([a.id for a in store.pending_alerts()])
    second = run(store, [src], now=NOW + timedelta(minutes=15))
    assert second.items_read == 0 and second.new == 0
    assert store.pending_alerts() == []
    assert store.get_checkpoint("fake:1", "word|hashtag:*:Acme") == "3"


def test_rereading_the_same_items_is_a_repeat_not_a_new_incident(store):
    src = FakeSource("fake:1", [post(1, "scam here")])
    run(store, [src])
    store.put_checkpoint("fake:1", "word|hashtag:*:Acme", "0", NOW)  # as if the checkpoint had been lost
    again = run(store, [src], now=NOW + timedelta(minutes=5))
    assert again.new == 0 and again.repeat == 1
    [incident] = store.list().items
    assert incident.occurrences == 2


def test_escalation_is_recorded_as_such(store):
    run(store, [FakeSource("fake:1", [post(1, "scam")])])
    later = run(store, [FakeSource("fake:2", [post(9, "scam card")])], now=NOW + timedelta(hours=1))
    assert later.escalated == 1 and later.new == 0


def test_could_not_check_is_reported_and_leaves_the_checkpoint(store):
    store.put_checkpoint("down", "word|hashtag:*:Acme", "41", NOW)
    ok = FakeSource("up", [post(1, "scam")])
    down = FakeSource("down", [], status="could_not_check", reason="credentials")
    summary = run(store, [ok, down])
    assert [r.reason for r in summary.could_not_check] == ["credentials", "credentials"]
    assert summary.findings == 1
    assert store.get_checkpoint("down", "word|hashtag:*:Acme") == "41"


def test_a_source_that_hangs_times_out_as_could_not_check(store):
    slow = FakeSource("slow", [post(1, "scam")], delay=5)
    summary = run(store, [slow], source_timeout=0.05)
    assert {r.status for r in summary.sources} == {"could_not_check"}
    assert "timed out" in summary.sources[0].reason
    assert store.get_checkpoint("slow", "word|hashtag:*:Acme") is None


def test_checkpoint_does_not_move_when_recording_fails(store, monkeypatch):
    def broken(findings, now):
        raise OSError("disk full")

    monkeypatch.setattr(store, "record_many", broken)
    summary = run(store, [FakeSource("fake:1", [post(1, "scam")])])
    assert {r.status for r in summary.sources} == {"could_not_record"}
    assert store.get_checkpoint("fake:1", "word|hashtag:*:Acme") is None


def test_a_detector_failure_on_one_item_skips_it_and_goes_on(store):
    summary = run(store, [FakeSource("fake:1", [post(1, "boom"), post(2, "scam")])])
    assert summary.detector_errors == 1 and summary.new == 1


def test_official_accounts_are_not_read_by_a_strangers_detector(store):
    summary = run(store, [FakeSource("fake:1", [post(1, "scam", handle="acme")])])
    assert summary.findings == 0


def test_allowlisted_subjects_do_not_alert(store):
    store.allow("account", "mastodon:stranger", "known partner", "test", NOW)
    summary = run(store, [FakeSource("fake:1", [post(1, "scam")])])
    assert summary.new == 0 and summary.suppressed == 1
    assert store.pending_alerts() == []


def test_sources_are_collected_concurrently(store):
    in_flight, peak = 0, 0

    class Counting(FakeSource):
        async def fetch(self, query, checkpoint, deadline=None):
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.05)
            in_flight -= 1
            return await super().fetch(query, checkpoint)

    sources = [Counting(f"s{i}", [post(i, "scam", f"h{i}")], kinds=("hashtag",)) for i in range(1, 6)]
    summary = run(store, sources)
    assert summary.new == 5
    assert peak == 5  # all five waited at once, not one after another


def test_a_source_never_runs_more_units_at_once_than_its_limit(store):
    """The per-source cap in-process (the one the work queue's message groups keep across workers):
    six queries of one source with `concurrency: 2` never have more than two fetches in flight,
    while another source runs beside them under the global cap."""
    in_flight: dict[str, int] = {}
    peak: dict[str, int] = {}

    class Counting(FakeSource):
        async def fetch(self, query, checkpoint, deadline=None):
            in_flight[self.name] = in_flight.get(self.name, 0) + 1
            peak[self.name] = max(peak.get(self.name, 0), in_flight[self.name])
            await asyncio.sleep(0.03)
            in_flight[self.name] -= 1
            return await super().fetch(query, checkpoint)

    class SixQueries(WordDetector):
        def plan(self, watchlist):
            return [Query(kind="hashtag", value=f"Acme{i}") for i in range(6)]

    slow, wide = Counting("slow", [post(1, "scam")], kinds=("hashtag",)), Counting("wide", [], kinds=("hashtag",))
    slow.concurrency, wide.concurrency = 2, 6
    summary = asyncio.run(scan(SixQueries(), WL, [slow, wide], store, store, now=NOW, concurrency=7,
                               ctx=Context.ephemeral(watchlist=WL, now=NOW)))
    assert len(summary.sources) == 12 and all(r.status == "ok" for r in summary.sources)
    assert peak["slow"] == 2  # held to its limit, yet two ran together
    assert peak["wide"] >= 3  # the other source was not held back by the first one's limit
    assert peak["wide"] <= 5  # and both within the global cap of seven


def test_the_watchlist_allowlist_suppresses_too(store):
    wl = parse_watchlist({"organization": "Acme", "allowlist": {"accounts": [{"platform": "mastodon", "handle": "@Stranger"}]}})
    summary = asyncio.run(scan(WordDetector(), wl, [FakeSource("fake:1", [post(1, "scam")])], store, store, now=NOW,
                               ctx=Context.ephemeral(watchlist=wl, now=NOW)))
    assert summary.suppressed == 1 and summary.findings == 0
