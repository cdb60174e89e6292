"""The alert policy, in one place: which recorded change alerts whom, given the thresholds.

Both roads call it: locally the outbox drain (`alerts.dispatch.drain`), on AWS the alert function
reading the table's stream (`alerts.stream.plan_batch`), with the thresholds of the same watchlist.

- A change alerts when it is new, escalated or reopened and the incident is at or above
  `thresholds.alert`; every other recorded change is done without paging anyone.
- Channel `alert` (console, e-mail, webhook) receives every alert; channel `sms` those at or above
  `thresholds.sms`.
- More than `thresholds.digest_after` alerts at once: one digest per sink instead of a storm.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sentinelle.model import Change, Incident, Severity
from sentinelle.ports import Alert, Channel
from sentinelle.watchlist import Thresholds


def alerts(change: Change, incident: Incident, thresholds: Thresholds) -> bool:
    """Whether recording this change pages anyone at all."""
    return change.alerts and incident.severity >= Severity(thresholds.alert)


def channels(incident: Incident, thresholds: Thresholds) -> tuple[Channel, ...]:
    """The channels an alert about `incident` goes to (SNS carries them as a message attribute)."""
    if incident.severity >= Severity(thresholds.sms):
        return ("alert", "sms")
    return ("alert",)


@dataclass
class AlertPlan:
    send: list[Alert] = field(default_factory=list)  # to deliver
    quiet: list[Alert] = field(default_factory=list)  # recorded, paging no one: done as they are
    digest: bool = False  # deliver `send` as one digest per sink

    def for_channel(self, channel: Channel, thresholds: Thresholds) -> list[Alert]:
        return [a for a in self.send if channel in channels(a.incident, thresholds)]


def plan(changes: Iterable[Alert], thresholds: Thresholds) -> AlertPlan:
    """Sort recorded changes into those to send and those that page no one; decide the digest."""
    out = AlertPlan()
    for a in changes:
        (out.send if alerts(a.change, a.incident, thresholds) else out.quiet).append(a)
    out.digest = len(out.send) > thresholds.digest_after
    return out


__all__ = ["AlertPlan", "alerts", "channels", "plan"]
