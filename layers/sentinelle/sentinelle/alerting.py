"""The alert policy, in one place: which recorded change alerts whom, given the thresholds.

Both roads call it: locally the outbox drain (`alerts.dispatch.drain`), on AWS the alert function
reading the table's stream (`alerts.stream.plan_batch`), with the thresholds of the same watchlist.

- A change alerts when it is new, escalated or reopened and the incident is at or above
  `thresholds.alert`; every other recorded change is done without paging anyone.
- Channel `alert` (console, e-mail, webhook) receives every alert; channel `sms` those at or above
  `thresholds.sms`.
- More than `thresholds.digest_after` alerts at once: one digest per sink instead of a storm.
- A new incident that joined a campaign (`sentinelle.campaigns`) pages no one unless the campaign
  just reached one of `thresholds.campaign_followups` members (3, 10, 50): one follow-up.
- Teams (the watchlist's `teams`) receive, beside the default channels, the alerts whose detector,
  kind and severity they own (`teams`); locally through their own sinks, on AWS through SNS
  subscriptions filtered on the message's `team` attribute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from sentinelle.campaigns import Campaign
from sentinelle.model import Change, Incident, Severity
from sentinelle.ports import Alert, Channel
from sentinelle.watchlist import Team, Thresholds

log = logging.getLogger("sentinelle.alerts")


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


def _campaign(campaign_of: Callable[[str], Campaign | None], a: Alert) -> Campaign | None:
    """The incident's campaign; when it cannot be read, none: the alert goes out as it would alone."""
    try:
        return campaign_of(a.incident.id)
    except Exception:  # a store hiccup must never silence an alert
        log.warning("campaign of incident %s unreadable: alerting as if it had none", a.incident.id, exc_info=True)
        return None


def plan(changes: Iterable[Alert], thresholds: Thresholds,
         campaign_of: Callable[[str], Campaign | None] | None = None) -> AlertPlan:
    """Sort recorded changes into those to send and those that page no one; decide the digest.

    With `campaign_of` (the store's campaigns), a new incident that joined a campaign others opened
    pages no one, except the one whose arrival makes the campaign `thresholds.campaign_followups`
    members large: that one goes out, with the campaign in its evidence (one follow-up, not one
    alert per account)."""
    out = AlertPlan()
    for a in changes:
        if not alerts(a.change, a.incident, thresholds):
            out.quiet.append(a)
            continue
        campaign = _campaign(campaign_of, a) if campaign_of is not None and a.change is Change.new else None
        # Its place in the campaign; none when it joined past the members a campaign keeps: quiet.
        position = next((i for i, m in enumerate(campaign.members, 1) if m.id == a.incident.id), None) if campaign else 1
        if campaign is None or position == 1:
            out.send.append(a)
        elif position in thresholds.campaign_followups:
            note = {"id": campaign.id, "title": campaign.title, "members": position,
                    "follow_up": f"the campaign reached {position} members; later members are in it without alerting"}
            out.send.append(replace(a, incident=a.incident.model_copy(
                update={"evidence": {**a.incident.evidence, "campaign": note}})))
        else:
            out.quiet.append(a)  # one more member of a campaign someone was already told about
    out.digest = len(out.send) > thresholds.digest_after
    return out


__all__ = ["AlertPlan", "alerts", "channels", "plan", "teams"]
