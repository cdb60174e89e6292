"""A source that keeps failing raises an incident (and so one alert) of its own, not silence."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sentinelle.config import RunConfig
from sentinelle.runner import SOURCE_ALERT_AFTER, run_detector_async
from sentinelle.ports import SourceResult
from sentinelle.store.sqlite import SQLiteStore
from sentinelle.watchlist import parse_watchlist

T0 = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


class Flaky:
    name, platform = "mastodon:mastodon.social", "mastodon"

    def __init__(self):
        self.up = False

    def queries(self, plan):
        return plan[:2]

    async def fetch(self, query, checkpoint, deadline=None):
        if self.up:
            return SourceResult(items=[], checkpoint=checkpoint)
        return SourceResult(status="could_not_check", reason="credentials")

    async def aclose(self):
        pass


def test_consecutive_failures_raise_one_incident_then_recover(tmp_path):
    wl = parse_watchlist({"organization": "Acme", "brands": [{"name": "Acme", "hashtags": ["Acme", "AcmeDays"]}]})
    config = RunConfig(watchlist={"organization": "Acme"}, watchlist_model=wl)
    source = Flaky()
    with SQLiteStore(tmp_path / "s.db") as store:
        def run(i):
            return asyncio.run(run_detector_async("scams", config=config, store=store, sources=[source],
                                                  now=T0 + timedelta(minutes=15 * i)))

        for i in range(SOURCE_ALERT_AFTER - 1):
            summary = run(i)
            assert summary.could_not_check and store.list(detector="sources").items == []
        summary = run(SOURCE_ALERT_AFTER - 1)
        assert {r.consecutive_failures for r in summary.sources} == {SOURCE_ALERT_AFTER}
        [incident] = store.list(detector="sources").items
        assert incident.kind == "source_unavailable" and incident.severity.value == "medium"
        assert incident.subject.kind == "source" and "credentials" in incident.reasons[0]
        assert [a.incident.id for a in store.pending_alerts()] == [incident.id]
        store.mark_sent([a.id for a in store.pending_alerts()])

        run(SOURCE_ALERT_AFTER)  # still down: the same incident, no second alert
        assert store.pending_alerts() == [] and store.get(incident.id).occurrences == 2
        source.up = True
        summary = run(SOURCE_ALERT_AFTER + 1)
        assert {r.consecutive_failures for r in summary.sources} == {0}
        assert store.pending_alerts() == []
