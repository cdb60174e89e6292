"""Delivering alerts: the policy (`sentinelle.alerting`) decides, sinks send, no sink failure is fatal.

- `deliver` sends what the policy wants to the sinks of each channel, one alert at a time (or one
  digest per sink for a burst); a failing sink is reported, never raised. An alert is done when
  every sink meant for it accepted it, and `done` is called at once, so a crash mid-delivery
  re-sends at most the alert in flight.
- `drain` is local mode's alert trigger: it claims the whole outbox under a lease (two processes
  never send the same alert; a killed one's rows come back when the lease ends), delivers, marks
  each alert sent as it goes and gives failed ones back for the next run.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from datetime import datetime
from typing import Any

from sentinelle import alerting
from sentinelle.alerts.sinks import LOCAL_SINKS, team_sinks
from sentinelle.model import utcnow
from sentinelle.ports import Alert, Outbox, Sink
from sentinelle.watchlist import Team, Thresholds

log = logging.getLogger("sentinelle.alerts")

LEASE_SECONDS = 300.0  # how long a drain holds the rows it claimed before others may take them


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)  # alert ids done: mark them sent
    below_threshold: list[str] = field(default_factory=list)  # among `delivered`: paged no one
    pending: list[str] = field(default_factory=list)  # a sink failed: retry next run
    digest: bool = False
    messages: dict[str, int] = field(default_factory=dict)  # per sink name: messages sent
    failures: list[tuple[str, str]] = field(default_factory=list)  # (sink name, reason)

    @property
    def ok(self) -> bool:
        return not self.failures


def _reason(exc: BaseException) -> str:
    from sentinelle.masking import redact

    return redact(f"{type(exc).__name__}: {exc}")[:300]


def deliver(alerts: Iterable[Alert], sinks: Sequence[Sink | None], thresholds: Thresholds,
            done: Callable[[list[str]], None] | None = None, teams: Sequence[Team] = ()) -> DeliveryReport:
    """Send `alerts` to `sinks` as the policy says; `done(ids)` is called as alerts complete. A
    team's sink (`TeamSink`) receives only the alerts `teams` route to it."""
    plan = alerting.plan(alerts, thresholds)
    report = DeliveryReport(digest=plan.digest, below_threshold=[a.id for a in plan.quiet])

    def finish(ids: list[str]) -> None:
        report.delivered.extend(ids)
        if done is not None and ids:
            done(ids)

    finish(list(report.below_threshold))
    live = [s for s in sinks if s is not None]  # an optional sink that is not configured is None
    mine = {id(s): plan.for_channel(s.threshold, thresholds, getattr(s, "team", None), teams) for s in live}
    mine_ids = {k: {a.id for a in v} for k, v in mine.items()}
    failed: set[str] = set()

    def attempt(sink: Sink, what: str, ids: list[str], send: Callable[[], object]) -> None:
        try:
            send()
            report.messages[sink.name] = report.messages.get(sink.name, 0) + 1
        except Exception as exc:  # one sink's failure must not stop the others
            log.warning("alert sink %s failed on %s: %s", sink.name, what, _reason(exc))
            report.failures.append((sink.name, _reason(exc)))
            failed.update(ids)

    if plan.digest:
        for sink in live:
            items = mine[id(sink)]
            if items:
                attempt(sink, f"a digest of {len(items)}", [a.id for a in items],
                        partial(sink.send_digest, [(a.incident, a.change) for a in items]))
        finish([a.id for a in plan.send if a.id not in failed])
    else:
        for a in plan.send:
            for sink in live:
                if a.id in mine_ids[id(sink)]:
                    attempt(sink, f"incident {a.incident.id}", [a.id], partial(sink.send, a.incident, a.change))
            if a.id not in failed:
                finish([a.id])
    report.pending = [a.id for a in plan.send if a.id in failed]
    return report


def drain(outbox: Outbox, sinks: Sequence[Sink | None], thresholds: Thresholds, *,
          now: datetime | None = None, owner: str | None = None, teams: Sequence[Team] = ()) -> DeliveryReport:
    """Deliver everything in the outbox that no one else holds; see the module's docstring."""
    owner = owner or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    claimed = outbox.claim_alerts(owner, now or utcnow(), lease_seconds=LEASE_SECONDS)
    report = deliver(claimed, sinks, thresholds, done=lambda ids: outbox.mark_sent(ids), teams=teams)
    outbox.release(report.pending)
    return report


def build_sinks(alerts_config: Any, env: Mapping[str, str], teams: Sequence[Team] = ()) -> list[Sink]:
    """Local sinks from the run configuration's `alerts` section and the environment (SMTP settings
    from SENTINELLE_SMTP_*, the webhook URL from the config or SENTINELLE_WEBHOOK_URL): every
    registered local sink is asked in turn. One that is on but not usable is logged and left out.
    Then each team's own: its e-mail (through the same SMTP relay, when e-mail is on) and webhook."""
    sinks: list[Sink] = []
    for name, kind in LOCAL_SINKS.items():
        try:
            sink = kind.from_config(alerts_config, env)
        except ValueError as exc:
            log.warning("%s alerts are on but not usable: %s", name, exc)
            continue
        if sink is not None:
            sinks.append(sink)
    for team in teams:
        sinks.extend(team_sinks(team, alerts_config, env))
    return sinks


__all__ = ["DeliveryReport", "build_sinks", "deliver", "drain"]
