"""Runs configured detectors through the pipeline: the one call Lambda and the CLI share."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from sentinelle.config import RunConfig
from sentinelle.detectors import Context, get
from sentinelle.model import utcnow
from sentinelle.pipeline import RunSummary, scan
from sentinelle.store.base import CheckpointStore, IncidentStore

log = logging.getLogger("sentinelle.runner")


def build_sources(config: RunConfig, detector: str, *, client: Any = None, session_cache: Any = None) -> list[Any]:
    from sentinelle.sources import build_source

    dcfg = config.detectors.get(detector)
    specs = dcfg.sources if dcfg else []
    return [build_source(spec, base_dir=config.base_dir, client=client, session_cache=session_cache)
            for spec in specs]


def make_context(config: RunConfig, now: datetime, *, online: bool | None = None) -> Context:
    online = config.online if online is None else online
    enrichers = None
    if online:
        from sentinelle.signals.fetch import OnlineEnrichers

        enrichers = OnlineEnrichers(config.wl, base_dir=config.watchlist_dir)
    return Context(watchlist=config.wl, now=now, online=online, enrichers=enrichers)


async def run_detector_async(
    name: str,
    *,
    config: RunConfig,
    store: IncidentStore,
    checkpoints: CheckpointStore | None = None,
    now: datetime | None = None,
    online: bool | None = None,
    sources: list[Any] | None = None,
) -> RunSummary:
    detector = get(name)
    now = now or utcnow()
    checkpoints = checkpoints or store  # type: ignore[assignment]
    own_sources = sources is None
    sources = build_sources(config, name, session_cache=checkpoints) if sources is None else sources
    dcfg = config.detectors.get(name)
    plan = dcfg.queries if dcfg and dcfg.queries is not None else None
    try:
        summary = await scan(detector, config.wl, sources, store, checkpoints,  # type: ignore[arg-type]
                             now=now, ctx=make_context(config, now, online=online), plan=plan)
    finally:
        if own_sources:
            for s in sources:
                await s.aclose()
    _track_source_health(summary, checkpoints, now)
    return summary


def _track_source_health(summary: RunSummary, checkpoints: Any, now: datetime) -> None:
    """Count consecutive failing runs per source; the summary carries the count for alerting."""
    try:
        from sentinelle.sources.health import record_source_status
    except ImportError:
        return
    for report in summary.sources:
        report.consecutive_failures = record_source_status(checkpoints, report.source, report.status, now)


def run_detector(name: str, **kw: Any) -> RunSummary:
    return asyncio.run(run_detector_async(name, **kw))


def enabled_detectors(config: RunConfig, names: list[str] | None = None) -> list[str]:
    if names:
        return names
    configured = [n for n, d in config.detectors.items() if d.enabled]
    return configured
