"""The alert policy, in one place: which recorded change alerts whom, given the thresholds.

Both roads call it: locally the outbox drain (`alerts.dispatch.drain`), on AWS the alert function
reading the table's stream (`alerts.stream.plan_batch`), with the thresholds of the same watchlist.

- A change alerts when it is new, escalated or reopened and the incident is at or above
  `thresholds.alert`; every other recorded change is done without paging anyone.
- Channel `alert` (console, e-mail, webhook) receives every alert; channel `sms` those at or above
  `thresholds.sms`.
- More than `thresholds.digest_after` alerts at once: one digest per sink instead of a storm.
- Teams (the watchlist's `teams`) receive, beside the default channels, the alerts whose detector,
  kind and severity they own (`teams`); locally through their own sinks, on AWS through SNS
  subscriptions filtered on the message's `team` attribute.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sentinelle.model import Change, Incident, Severity
from sentinelle.ports import Alert, Channel
from sentinelle.watchlist import Team, Thresholds


def alerts(change: Change, incident: Incident, thresholds: Thresholds) -> bool:
    """Whether recording this change pages anyone at all."""
    return change.alerts and incident.severity >= Severity(thresholds.alert)


def channels(incident: Incident, thresholds: Thresholds) -> tuple[Channel, ...]:
    """The channels an alert about `incident` goes to (SNS carries them as a message attribute)."""
    if incident.severity >= Severity(thresholds.sms):
        return ("alert", "sms")
    return ("alert",)


def teams(incident: Incident, routes: Sequence[Team]) -> tuple[str, ...]:
    """The names of the teams that own an alert about `incident` (none: the default channels only)."""
    return tuple(t.name for t in routes if t.receives(incident.detector, incident.kind, incident.severity))


@dataclass
class AlertPlan:
    send: list[Alert] = field(default_factory=list)  # to deliver
    quiet: list[Alert] = field(default_factory=list)  # recorded, paging no one: done as they are
    digest: bool = False  # deliver `send` as one digest per sink

    def for_channel(self, channel: Channel, thresholds: Thresholds, team: str | None = None,
                    routes: Sequence[Team] = ()) -> list[Alert]:
        """What a sink of `channel` sends; a team's sink (`team`) only what the team owns."""
        return [a for a in self.send if channel in channels(a.incident, thresholds)
                and (team is None or team in teams(a.incident, routes))]


def plan(changes: Iterable[Alert], thresholds: Thresholds) -> AlertPlan:
    """Sort recorded changes into those to send and those that page no one; decide the digest."""
    out = AlertPlan()
    for a in changes:
        (out.send if alerts(a.change, a.incident, thresholds) else out.quiet).append(a)
    out.digest = len(out.send) > thresholds.digest_after
    return out


__all__ = ["AlertPlan", "alerts", "channels", "plan", "teams"]
