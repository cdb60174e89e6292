"""The one scan pipeline: plan units, collect, detect, record, then advance checkpoints.

A scan is planned into work units, one per (source, query); `run_units` collects, detects,
records and checkpoints a set of them. On one machine `scan` runs every unit in-process; on AWS the
scan function sends the units to a queue and each worker invocation runs one (`sentinelle.lambdas`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from collections.abc import Iterable
from typing import Any

from sentinelle.detectors.base import Context, Detector
from sentinelle.incidents import Allowlist
from sentinelle.model import Change, Finding, Incident, Post, Profile, utcnow
from sentinelle.ports import CheckpointStore, Deadline, IncidentStore, Query, Source, SourceResult
from sentinelle.watchlist import Watchlist

log = logging.getLogger("sentinelle.pipeline")


@dataclass
class SourceReport:
    source: str
    query: str
    status: str  # ok | partial | could_not_check | could_not_record
    reason: str | None = None
    items: int = 0
    skipped: int = 0
    consecutive_failures: int = 0


@dataclass
class RunSummary:
    detector: str
    started_at: str
    seconds: float = 0.0
    items_read: int = 0
    items_skipped: int = 0
    detector_errors: int = 0
    findings: int = 0
    new: int = 0
    escalated: int = 0
    reopened: int = 0  # closed as dealt with, and seen again a day later
    repeat: int = 0
    suppressed: int = 0
    sources: list[SourceReport] = field(default_factory=list)

    @property
    def could_not_check(self) -> list[SourceReport]:
        return [s for s in self.sources if s.status in ("could_not_check", "could_not_record")]

    @property
    def source_errors(self) -> int:
        return len(self.could_not_check)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["could_not_check"] = [f"{s.source} {s.query}: {s.reason}" for s in self.could_not_check]
        return out


def detect_items(detector: Detector, items: Iterable[Post | Profile], ctx: Context) -> tuple[list[Finding], int]:
    """Run a detector over items; an item that makes it fail is logged and skipped, not fatal."""
    findings: list[Finding] = []
    errors = 0
    for item in items:
        if not detector.applies(item, ctx):
            continue
        try:
            findings.extend(detector.detect(item, ctx))
        except Exception:  # a detector bug on one hostile item must not stop the run
            errors += 1
            log.exception("detector %s failed on %s item %s", detector.name, item.platform, item.id)
    return findings, errors


@dataclass(frozen=True)
class WorkUnit:
    """One (source, query) of a detector's scan: what a worker collects, detects, records and
    checkpoints on its own. Sources are named, not serialised: a worker builds them from the
    run configuration."""

    detector: str
    source: str  # Source.name
    query: Query
    planned_at: datetime | None = None  # the run this unit belongs to (its units count as one run)

    def as_message(self) -> dict[str, Any]:
        out = {"detector": self.detector, "source": self.source, "query": self.query.model_dump()}
        if self.planned_at is not None:
            out["planned_at"] = self.planned_at.isoformat()
        return out

    @classmethod
    def from_message(cls, body: dict[str, Any]) -> WorkUnit:
        """The unit a queue message names; a malformed one raises ValueError (or a pydantic error)."""
        if not isinstance(body, dict) or not isinstance(body.get("detector"), str) \
                or not isinstance(body.get("source"), str):
            raise ValueError("a work unit needs 'detector' and 'source' strings and a 'query'")
        planned = body.get("planned_at")
        return cls(detector=body["detector"], source=body["source"], query=Query.model_validate(body.get("query")),
                   planned_at=datetime.fromisoformat(planned) if isinstance(planned, str) else None)


DEFAULT_SOURCE_CONCURRENCY = 2  # for a source built without the `concurrency` option (a test double)


def concurrency_of(source: Source) -> int:
    """How many of `source`'s units may run at once: its `concurrency` option (set by
    `sources.build_source`, with a default per platform), in-process and across workers alike."""
    limit = getattr(source, "concurrency", None)
    return limit if isinstance(limit, int) and limit >= 1 else DEFAULT_SOURCE_CONCURRENCY


@dataclass(frozen=True)
class QueueKeys:
    """How a unit is sent to the FIFO work queue: its message group and deduplication id."""

    group: str  # "<source>#<slot>": FIFO runs one message per group at a time
    dedup: str  # the same (detector, source, query) queued twice in 5 minutes is kept once


_GROUP_SAFE = re.compile(r"[!-~]{1,100}")  # SQS allows ASCII letters, digits and punctuation, 128 at most


def queue_keys(unit: WorkUnit, limit: int) -> QueueKeys:
    """The FIFO keys of `unit` when its source runs at most `limit` units at once. The source's
    units are spread over `limit` groups by a stable hash of (detector, query), so at most `limit`
    run at once, and one (source, query) is never run by two workers at once (it is always in the
    same group), whatever the run that planned it."""
    def digest(text: str) -> bytes:
        return hashlib.sha256(text.encode("utf-8")).digest()

    slot = int.from_bytes(digest(f"{unit.detector}|{unit.query.key}")[:8], "big") % max(1, limit)
    source = unit.source if _GROUP_SAFE.fullmatch(unit.source) else \
        re.sub(r"[^!-~]", "_", unit.source)[:60] + "~" + digest(unit.source).hex()[:16]
    return QueueKeys(group=f"{source}#{slot}",
                     dedup=digest(f"{unit.detector}|{unit.source}|{unit.query.key}").hex())


def plan_units(detector: Detector, watchlist: Watchlist, sources: list[Source],
               plan: list[Query] | None = None, *, now: datetime | None = None) -> list[WorkUnit]:
    """Every (source, query) the detector's scan reads: each source serves the queries it can."""
    plan = detector.plan(watchlist) if plan is None else plan
    return [WorkUnit(detector.name, s.name, q, now) for s in sources for q in s.queries(plan)]


async def _fetch(source: Source, query: Query, checkpoint: str | None, timeout: float,
                 deadline: Deadline | None) -> SourceResult:
    if deadline is not None:
        if deadline.reached:  # no time to start: leave the unit whole for the next run
            return SourceResult(status="could_not_check", reason="deadline")
        # The hard stop, in case a source overruns its deadline; it loses that unit's items.
        timeout = min(timeout, max(deadline.remaining(), 0.0))
    try:
        if deadline is None:
            return await asyncio.wait_for(source.fetch(query, checkpoint), timeout)
        return await asyncio.wait_for(source.fetch(query, checkpoint, deadline), timeout)
    except asyncio.TimeoutError:
        return SourceResult(status="could_not_check", reason=f"timed out after {timeout:.0f}s")
    except Exception as exc:  # an adapter bug is reported as a source that could not be checked
        log.exception("source %s failed on %s", source.name, query.key)
        return SourceResult(status="could_not_check", reason=f"error: {type(exc).__name__}")


def checkpoint_query(detector: str, query: Query) -> str:
    """A checkpoint belongs to the (detector, source, query) that read it: one source listed under
    several detectors is read in full by each (a shared position would let the first hide the rest)."""
    return f"{detector}|{query.key}"


def _join_campaigns(store: Any, incidents: list[Incident], now: datetime) -> None:
    """Campaigns grow as incidents are recorded (`sentinelle.campaigns`); a store without small
    state (a test double) has none. A failure here is logged: the incidents are recorded, and
    the next change of each joins it."""
    if not incidents or not hasattr(store, "update_value") or not hasattr(store, "values"):
        return
    from sentinelle import campaigns

    try:
        campaigns.join(store, incidents, now)
    except Exception:
        log.exception("could not join %d incident(s) to campaigns", len(incidents))


async def scan(
    detector: Detector,
    watchlist: Watchlist,
    sources: list[Source],
    store: IncidentStore,
    checkpoints: CheckpointStore,
    *,
    ctx: Context,
    now: datetime | None = None,
    plan: list[Query] | None = None,
    concurrency: int = 8,
    source_timeout: float = 120.0,
    deadline: Deadline | None = None,
) -> RunSummary:
    """Scan once, in-process: every unit of the plan. Checkpoints move only after the items they
    cover are recorded."""
    units = plan_units(detector, watchlist, sources, plan)
    return await run_units(detector, watchlist, units, sources, store, checkpoints, ctx=ctx, now=now,
                           concurrency=concurrency, source_timeout=source_timeout, deadline=deadline)


async def run_units(
    detector: Detector,
    watchlist: Watchlist,
    units: list[WorkUnit],
    sources: list[Source],
    store: IncidentStore,
    checkpoints: CheckpointStore,
    *,
    ctx: Context,
    now: datetime | None = None,
    concurrency: int = 8,
    source_timeout: float = 120.0,
    deadline: Deadline | None = None,
) -> RunSummary:
    """Collect, detect, record and checkpoint `units` (one, for a worker). Past `deadline` sources
    stop reading and the units record what was read; their checkpoints end where those items end."""
    now = now or utcnow()
    started = time.perf_counter()
    summary = RunSummary(detector=detector.name, started_at=now.isoformat())
    by_name = {s.name: s for s in sources}
    pairs: list[tuple[Source, Query]] = []
    for unit in units:
        if unit.source in by_name:
            pairs.append((by_name[unit.source], unit.query))
        else:  # the configuration changed between planning and this run: nothing to read
            log.warning("unit %s %s: source no longer configured, skipped", unit.source, unit.query.key)

    # At most `concurrency` fetches at once, and no more of one source's than its own limit (the
    # limit the work queue's message groups keep across workers).
    gate = asyncio.Semaphore(concurrency)
    per_source = {s.name: asyncio.Semaphore(concurrency_of(s)) for s in sources}

    async def collect(source: Source, query: Query) -> SourceResult:
        async with per_source[source.name], gate:
            checkpoint = checkpoints.get_checkpoint(source.name, checkpoint_query(detector.name, query))
            return await _fetch(source, query, checkpoint, source_timeout, deadline)

    results = await asyncio.gather(*(collect(s, q) for s, q in pairs))
    allowed = Allowlist.build(watchlist, store.allowlist())
    seen: set[tuple[str, str, str]] = set()
    changes: Counter[Change] = Counter()

    for (source, query), result in zip(pairs, results):
        report = SourceReport(source.name, query.key, result.status, result.reason,
                              len(result.items), result.skipped)
        summary.sources.append(report)
        summary.items_read += len(result.items)
        summary.items_skipped += result.skipped
        fresh = []
        for item in result.items:  # the same item can answer two queries: detect it once
            key = (item.platform, item.type, item.id)
            if key not in seen:
                seen.add(key)
                fresh.append(item)
        findings, errors = detect_items(detector, fresh, ctx)
        summary.detector_errors += errors
        kept = [f for f in findings if not allowed.suppresses(f)]
        summary.suppressed += len(findings) - len(kept)
        try:
            recorded = store.record_many(kept, now)
        except Exception as exc:  # nothing moves: the next run reads these items again
            log.exception("could not record findings from %s", source.name)
            report.status, report.reason = "could_not_record", f"store error: {type(exc).__name__}"
            continue
        summary.findings += len(kept)
        changes.update(r.change for r in recorded)
        _join_campaigns(store, [r.incident for r in recorded if r.change != Change.repeat], now)
        if result.checkpoint is not None and result.status != "could_not_check":
            checkpoints.put_checkpoint(source.name, checkpoint_query(detector.name, query), result.checkpoint, now)

    summary.new = changes[Change.new]
    summary.escalated = changes[Change.escalated]
    summary.reopened = changes[Change.reopened]
    summary.repeat = changes[Change.repeat]
    summary.seconds = round(time.perf_counter() - started, 3)
    # One line per run; the summary is a `run` object in the JSON logs (Logs Insights: `filter run.new > 0`).
    fields = {k: v for k, v in summary.as_dict().items() if k != "sources"}
    log.info("scan %s: %d read, %d findings, %d new", detector.name, summary.items_read, summary.findings,
             summary.new, extra={"run": fields})
    return summary
