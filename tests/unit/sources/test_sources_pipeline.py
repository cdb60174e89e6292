"""A source inside the real scan pipeline: 429 then success records once; a timeout moves nothing."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import respx

from conftest import instant_policy, load, run
from sentinelle.detectors.base import Context, Detector
from sentinelle.ports import Query
from sentinelle.model import Finding, Severity, Subject
from sentinelle.pipeline import scan
from sentinelle.sources.mastodon import MastodonSource
from sentinelle.store.sqlite import SQLiteStore
from sentinelle.watchlist import parse_watchlist

TAG = Query(kind="hashtag", value="MaisonLumiere")
ROUTE = "https://social.example/api/v1/timelines/tag/MaisonLumiere"
NOW = datetime(2026, 11, 28, 9, tzinfo=timezone.utc)


class EveryPost(Detector):
    """Test detector (not registered): one finding per post, so recorded incidents count posts."""

    name = "every_post"
    audience = "any"

    def plan(self, watchlist):
        return [TAG]

    def detect(self, item, ctx):
        return [Finding(detector=self.name, kind="seen", severity=Severity.medium, score=50, reasons=["seen"],
                        subject=Subject(platform=item.platform, kind="post", id=item.id), item_id=item.id)]


def scan_once(store, policy):
    source = MastodonSource(instance="social.example", policy=policy)
    wl = parse_watchlist({"organization": "Maison Lumière"})

    async def go():
        try:
            return await scan(EveryPost(), wl, [source], store, store, now=NOW,
                              ctx=Context.ephemeral(watchlist=wl, now=NOW))
        finally:
            await source.aclose()

    return run(go())


@respx.mock
def test_429_then_success_records_everything_exactly_once(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    policy = instant_policy()
    respx.get(ROUTE).mock(side_effect=[
        httpx.Response(429, headers={"X-RateLimit-Reset": "2026-11-28T12:00:05Z"}),
        httpx.Response(200, json=load("mastodon/tag_timeline_page1.json")),
        httpx.Response(200, json=[]),  # the next run: nothing newer than the checkpoint
    ])
    summary = scan_once(store, policy)
    assert summary.sources[0].status == "ok" and summary.items_read == 2
    assert summary.new == 2 and summary.repeat == 0 and len(store.pending_alerts()) == 2
    assert store.get_checkpoint("mastodon:social.example", TAG.key) == "113520411870001236"
    again = scan_once(store, policy)
    assert again.new == 0 and again.items_read == 0 and len(store.pending_alerts()) == 2
    assert respx.calls[-1].request.url.params["min_id"] == "113520411870001236"
    store.close()


@respx.mock
def test_timeout_reports_could_not_check_and_leaves_the_checkpoint(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    store.put_checkpoint("mastodon:social.example", TAG.key, "113520411870001100", NOW)
    respx.get(ROUTE).mock(side_effect=httpx.ReadTimeout("slow"))
    summary = scan_once(store, instant_policy(max_attempts=3))
    report = summary.sources[0]
    assert (report.status, report.reason) == ("could_not_check", "timeout")
    assert summary.could_not_check and summary.new == 0
    assert store.get_checkpoint("mastodon:social.example", TAG.key) == "113520411870001100"
    store.close()
