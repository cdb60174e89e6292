"""Runs configured detectors through the pipeline: the one call Lambda and the CLI share."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sentinelle.config import RunConfig
from sentinelle.detectors import Context, get
from sentinelle.model import Finding, Severity, Subject, utcnow
from sentinelle.pipeline import (
    QueueKeys,
    RunSummary,
    SourceReport,
    WorkUnit,
    concurrency_of,
    plan_units,
    queue_keys,
    run_units,
)
from sentinelle.ports import CheckpointStore, Deadline, KeyValueStore, Source, Store


def build_sources(config: RunConfig, detector: str, *, client: Any = None,
                  session_cache: KeyValueStore | None = None) -> list[Source]:
    from sentinelle.sources import build_source

    dcfg = config.detectors.get(detector)
    specs = dcfg.sources if dcfg else []
    return [build_source(spec, base_dir=config.base_dir, client=client, session_cache=session_cache)
            for spec in specs]


def make_context(config: RunConfig, now: datetime, hash_key: bytes, *, online: bool | None = None) -> Context:
    online = config.online if online is None else online
    enrichers = None
    if online:
        from sentinelle.signals.fetch import OnlineEnrichers

        enrichers = OnlineEnrichers(config.wl, base_dir=config.watchlist_dir)
    return Context(watchlist=config.wl, hash_key=hash_key, now=now, online=online, enrichers=enrichers,
                   pictures=picture_reader(config, enrichers))


def picture_reader(config: RunConfig, enrichers: Any = None) -> Any:
    """What reads a post's pictures: through the guard online, from recorded files offline when
    the configuration maps media URLs to files, else nothing (alt text is still read)."""
    from sentinelle.readers.pictures import PictureReader, guarded_fetch, recorded_fetch

    if enrichers is not None:
        return PictureReader(guarded_fetch(enrichers.client))
    if config.recorded_media:
        files = {url: config.base_dir / path for url, path in config.recorded_media.items()}
        return PictureReader(recorded_fetch(files))
    return None


def plan_detector(name: str, *, config: RunConfig, sources: list[Source] | None = None,
                  now: datetime | None = None) -> list[WorkUnit]:
    """The work units of one scan of `name` at `now`: what the scan function sends to the queue."""
    detector = get(name)
    dcfg = config.detectors.get(name)
    if sources is not None:
        return plan_units(detector, config.wl, sources, dcfg.queries if dcfg else None, now=now)
    built = build_sources(config, name)
    try:
        return plan_units(detector, config.wl, built, dcfg.queries if dcfg else None, now=now)
    finally:
        asyncio.run(_close(built))


def plan_queue(name: str, *, config: RunConfig, now: datetime | None = None) -> list[tuple[WorkUnit, QueueKeys]]:
    """The work units of one scan of `name`, each with its FIFO queue keys (its source's limit)."""
    built = build_sources(config, name)
    try:
        limits = {s.name: concurrency_of(s) for s in built}
        return [(u, queue_keys(u, limits[u.source])) for u in plan_detector(name, config=config, sources=built, now=now)]
    finally:
        asyncio.run(_close(built))


async def _close(sources: list[Source]) -> None:
    for s in sources:
        await s.aclose()


async def run_detector_async(
    name: str,
    *,
    config: RunConfig,
    store: Store,
    checkpoints: CheckpointStore | None = None,
    now: datetime | None = None,
    online: bool | None = None,
    sources: list[Source] | None = None,
    units: list[WorkUnit] | None = None,
    deadline: Deadline | None = None,
) -> RunSummary:
    """Run `units` of detector `name` (default: every unit of its plan, i.e. one whole scan)."""
    detector = get(name)
    now = now or utcnow()
    own_sources = sources is None
    sources = build_sources(config, name, session_cache=store) if sources is None else sources
    try:
        if units is None:
            units = plan_detector(name, config=config, sources=sources)
        summary = await run_units(detector, config.wl, units, sources, store, checkpoints or store, now=now,
                                  ctx=make_context(config, now, store.hash_key(), online=online),
                                  deadline=deadline)
    finally:
        if own_sources:
            for s in sources:
                await s.aclose()
    # The units of one planned run count as one run for source health, whichever worker ran them.
    planned = {u.planned_at for u in units if u.planned_at is not None} if units else set()
    _track_source_health(summary, store, planned.pop() if len(planned) == 1 else now)
    return summary


SOURCE_ALERT_AFTER = 3  # consecutive failing runs before a source raises an incident of its own
SOURCE_ESCALATE_AFTER = 12


def _track_source_health(summary: RunSummary, store: Store, now: datetime) -> None:
    """Count consecutive failing runs per source; past a few, record an incident about the source.

    The incident travels the same road as any other (store, change feed, alert), so a source that
    has gone silent pages someone once, and again only if it stays down much longer.
    """
    from sentinelle.sources.health import record_source_status

    worst: dict[str, SourceReport] = {}
    for report in summary.sources:
        if (report.reason or "").startswith("deadline"):
            continue  # the run ran out of time, not the source: it says nothing of the source's health
        report.consecutive_failures = record_source_status(store, report.source, report.status, now)
        if report.consecutive_failures > getattr(worst.get(report.source), "consecutive_failures", 0):
            worst[report.source] = report
    findings = [source_down_finding(r, summary.detector, now) for r in worst.values()
                if r.consecutive_failures >= SOURCE_ALERT_AFTER]
    for finding in findings:
        store.record(finding, now)


def source_down_finding(report: SourceReport, detector: str, now: datetime) -> Finding:
    runs = report.consecutive_failures
    severity = Severity.high if runs >= SOURCE_ESCALATE_AFTER else Severity.medium
    platform = report.source.split(":", 1)[0]
    return Finding(
        detector="sources", kind="source_unavailable", severity=severity, score=80 if severity == Severity.high else 55,
        reasons=[f"{report.source} could not be checked for {runs} consecutive runs ({report.reason or report.status})",
                 f"the {detector} detector is blind to what this source would have shown"],
        evidence={"source": report.source, "query": report.query, "status": report.status,
                  "reason": report.reason, "consecutive_failures": runs},
        subject=Subject(platform=platform, kind="source", id=report.source), observed_at=now)


def run_detector(name: str, **kw: Any) -> RunSummary:
    return asyncio.run(run_detector_async(name, **kw))
