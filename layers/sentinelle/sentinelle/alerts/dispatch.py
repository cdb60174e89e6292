"""Delivering a run's alerts: thresholds, one digest instead of a storm, and no sink failure fatal.

Rules (the same in local mode and in the AWS alert function):
- Only new, escalated or reopened incidents at or above `thresholds.alert` go out; the rest are recorded
  and marked done without paging anyone. A sink gated by `sms` needs `thresholds.sms`.
- More than `thresholds.digest_after` alerts in one delivery: every sink gets ONE digest of the
  alerts it would have received (an SMS sink one digest SMS, listing only those at or above
  `thresholds.sms`), instead of one message each.
- A failing sink is reported, never raised. An alert is done when every sink it was meant for
  accepted it; otherwise it stays pending and the next run retries it (a console may show it
  twice, an e-mail is never silently lost).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from sentinelle.alerts.sinks import ConsoleSink, Sink, SmtpSink, WebhookSink
from sentinelle.model import Change, Severity
from sentinelle.store.base import Alert
from sentinelle.watchlist import Thresholds

log = logging.getLogger("sentinelle.alerts")


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


def deliver(alerts: Iterable[Alert], sinks: Sequence[Sink], thresholds: Thresholds | None = None) -> DeliveryReport:
    """Send `alerts` to `sinks` under `thresholds`; returns which alert ids are done."""
    thresholds = thresholds or Thresholds()
    report = DeliveryReport()
    wanted: list[Alert] = []
    for a in alerts:
        if Change(a.change).alerts and a.incident.severity >= Severity(thresholds.alert):
            wanted.append(a)
        else:
            report.below_threshold.append(a.id)
    report.digest = len(wanted) > thresholds.digest_after
    failed: set[str] = set()
    for sink in sinks:
        if sink is None:  # an optional sink that is not configured
            continue
        minimum = Severity(getattr(thresholds, getattr(sink, "threshold", "alert")))
        mine = [a for a in wanted if a.incident.severity >= minimum]
        if not mine:
            continue
        name = getattr(sink, "name", type(sink).__name__)
        if report.digest:
            try:
                sink.send_digest([(a.incident, Change(a.change)) for a in mine])
                report.messages[name] = report.messages.get(name, 0) + 1
            except Exception as exc:  # one sink's failure must not stop the others
                log.warning("alert sink %s failed on a digest of %d: %s", name, len(mine), _reason(exc))
                report.failures.append((name, _reason(exc)))
                failed.update(a.id for a in mine)
            continue
        for a in mine:
            try:
                sink.send(a.incident, Change(a.change))
                report.messages[name] = report.messages.get(name, 0) + 1
            except Exception as exc:
                log.warning("alert sink %s failed on incident %s: %s", name, a.incident.id, _reason(exc))
                report.failures.append((name, _reason(exc)))
                failed.add(a.id)
    report.pending = [a.id for a in wanted if a.id in failed]
    report.delivered = [a.id for a in wanted if a.id not in failed] + report.below_threshold
    return report


def build_sinks(alerts_config: Any = None, *, console: Any = None) -> list[Sink]:
    """Local sinks from the run configuration's `alerts` section (console, smtp, webhook).

    SMTP settings come from SENTINELLE_SMTP_*; the webhook URL from the config or
    SENTINELLE_WEBHOOK_URL. A misconfigured sink is logged and left out, not fatal.
    """
    import os

    sinks: list[Sink] = []
    if alerts_config is None or getattr(alerts_config, "console", True):
        sinks.append(ConsoleSink(console))
    if alerts_config is not None and getattr(alerts_config, "smtp", False):
        try:
            smtp = SmtpSink.from_env()
        except ValueError as exc:
            log.warning("SMTP alerts are on but not usable: %s", exc)
        else:
            if smtp is None:
                log.warning("SMTP alerts are on but SENTINELLE_SMTP_HOST is not set")
            else:
                sinks.append(smtp)
    url = (getattr(alerts_config, "webhook", None) if alerts_config is not None else None) \
        or os.environ.get("SENTINELLE_WEBHOOK_URL")
    if url:
        try:
            sinks.append(WebhookSink(url))
        except ValueError as exc:
            log.warning("webhook alerts not usable: %s", exc)
    return sinks


__all__ = ["DeliveryReport", "deliver", "build_sinks"]
