"""Teams (issue 16, item 12): the watchlist names who owns which alerts; the one alert policy
routes them, locally to each team's own sinks and on AWS through the SNS `team` attribute."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from unittest.mock import MagicMock

import pytest

from sentinelle import alerting
from sentinelle.alerts.dispatch import build_sinks, deliver
from sentinelle.alerts.sinks import SnsSink, SmtpSink, TeamSink, WebhookSink
from sentinelle.config import AlertConfig
from sentinelle.model import Change, Incident, Severity, Subject
from sentinelle.playbooks import playbook_for
from sentinelle.ports import Alert
from sentinelle.watchlist import Team, Thresholds, WatchlistError, parse_watchlist

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
TEAMS = [Team(name="compliance", detectors=["leaks"]),
         Team(name="customer-care", detectors=["scams"]),
         Team(name="security", detectors=["impersonation"], severity=Severity.high),
         Team(name="fraud", kinds=["credit_card", "policy:finance*"])]


def incident(detector: str, kind: str, severity: Severity = Severity.high, n: int = 1) -> Incident:
    return Incident(id=f"{detector}{n:020d}"[:24], detector=detector, kind=kind, severity=severity, score=70,
                    platform="mastodon", subject=Subject(platform="mastodon", kind="post", id=str(n)),
                    reasons=["why"], evidence={}, first_seen=T0, last_seen=T0)


@pytest.mark.parametrize("detector, kind, severity, owners", [
    ("leaks", "credit_card", Severity.high, ("compliance", "fraud")),
    ("leaks", "policy:finance-promissory-language", Severity.medium, ("compliance", "fraud")),
    ("leaks", "fr_nir", Severity.high, ("compliance",)),
    ("scams", "fake_coupon", Severity.medium, ("customer-care",)),
    ("impersonation", "impersonation_person", Severity.high, ("security",)),
    ("impersonation", "impersonation_person", Severity.medium, ()),  # below the team's severity
    ("sources", "source_unavailable", Severity.high, ()),  # no team: the default channels only
])
def test_each_incident_goes_to_the_teams_that_own_it(detector, kind, severity, owners):
    assert alerting.teams(incident(detector, kind, severity), TEAMS) == owners


def test_team_validation_names_the_problem():
    base = {"organization": "Acme"}
    with pytest.raises(WatchlistError, match="did you mean 'leaks'"):
        parse_watchlist({**base, "teams": [{"name": "dpo", "detectors": ["leak"]}]})
    with pytest.raises(WatchlistError, match="unique"):
        parse_watchlist({**base, "teams": [{"name": "dpo"}, {"name": "dpo"}]})
    with pytest.raises(WatchlistError, match="teams"):
        parse_watchlist({**base, "teams": [{"name": "Customer Care"}]})  # an SNS attribute value: lower case
    with pytest.raises(WatchlistError, match="not an e-mail"):
        parse_watchlist({**base, "teams": [{"name": "dpo", "email": ["dpo-at-acme"]}]})
    with pytest.raises(WatchlistError, match="http"):
        parse_watchlist({**base, "teams": [{"name": "dpo", "webhook": "ftp://x"}]})
    assert parse_watchlist(base).teams == []  # none: every alert to the default channels, as before


class Recorder:
    threshold = "alert"

    def __init__(self, name: str) -> None:
        self.name, self.got, self.digests = name, [], []

    def send(self, incident, change):  # noqa: ANN001, ANN201
        self.got.append(incident.detector)

    def send_digest(self, items):  # noqa: ANN001, ANN201
        self.digests.append(sorted(i.detector for i, _ in items))


def test_a_team_sink_receives_only_what_its_team_owns():
    default, dpo, care = Recorder("default"), Recorder("dpo"), Recorder("care")
    alerts = [Alert("1", incident("leaks", "fr_nir"), Change.new), Alert("2", incident("scams", "x"), Change.new),
              Alert("3", incident("impersonation", "x"), Change.new)]
    deliver(alerts, [default, TeamSink("compliance", dpo), TeamSink("customer-care", care)], Thresholds(),
            teams=TEAMS)
    assert sorted(default.got) == ["impersonation", "leaks", "scams"]
    assert dpo.got == ["leaks"] and care.got == ["scams"]


def test_a_burst_gives_each_team_a_digest_of_its_own():
    dpo, care = Recorder("dpo"), Recorder("care")
    alerts = [Alert(str(n), incident("leaks" if n % 2 else "scams", "x", n=n), Change.new) for n in range(12)]
    deliver(alerts, [TeamSink("compliance", dpo), TeamSink("customer-care", care)], Thresholds(digest_after=10),
            teams=TEAMS)
    assert dpo.digests == [["leaks"] * 6] and care.digests == [["scams"] * 6]


def test_local_team_sinks_from_the_watchlist():
    teams = [Team(name="compliance", email=["dpo@acme.example"], webhook="https://hooks.example.test/dpo"),
             Team(name="customer-care", email=["care@acme.example"])]
    env = {"SENTINELLE_SMTP_HOST": "smtp.acme.example", "SENTINELLE_SMTP_TO": "soc@acme.example"}
    sinks = build_sinks(AlertConfig(console=False, smtp=True), env, teams)
    names = [s.name for s in sinks]
    assert names == ["smtp", "webhook:compliance", "smtp:compliance", "smtp:customer-care"]
    team_mail = [s for s in sinks if isinstance(s, TeamSink) and isinstance(s.inner, SmtpSink)]
    assert [s.inner.to for s in team_mail] == [["dpo@acme.example"], ["care@acme.example"]]
    assert isinstance(sinks[1], TeamSink) and isinstance(sinks[1].inner, WebhookSink)
    # E-mail off locally: a team's e-mail is not used (its webhook still is); no relay: left out, logged.
    assert [s.name for s in build_sinks(AlertConfig(console=False), {}, teams)] == ["webhook:compliance"]
    assert [s.name for s in build_sinks(AlertConfig(console=False, smtp=True), {}, teams)] == ["webhook:compliance"]


def test_sns_messages_carry_the_owning_teams():
    client = MagicMock()
    client.publish.return_value = {"MessageId": "m"}
    sink = SnsSink("arn:aws:sns:eu-west-3:123456789012:alerts", Thresholds(), teams=TEAMS, client=client)
    sink.send(incident("leaks", "credit_card"), Change.new)
    attrs = client.publish.call_args.kwargs["MessageAttributes"]
    assert json.loads(attrs["team"]["StringValue"]) == ["compliance", "fraud"]
    assert json.loads(json.loads(client.publish.call_args.kwargs["Message"])["default"])["teams"] == [
        "compliance", "fraud"]
    sink.send(incident("sources", "source_unavailable"), Change.new)
    assert "team" not in client.publish.call_args.kwargs["MessageAttributes"]  # owned by no team


def test_an_sns_digest_goes_to_the_default_channels_then_once_per_team():
    client = MagicMock()
    client.publish.return_value = {"MessageId": "m"}
    sink = SnsSink("arn:aws:sns:eu-west-3:123456789012:alerts", Thresholds(), teams=TEAMS, client=client)
    sink.send_digest([(incident("leaks", "fr_nir", n=1), Change.new), (incident("scams", "x", n=2), Change.new)])
    calls = [c.kwargs["MessageAttributes"] for c in client.publish.call_args_list]
    assert "team" not in calls[0] and json.loads(calls[0]["channels"]["StringValue"]) == ["alert", "sms"]
    per_team = {json.loads(c["team"]["StringValue"])[0]: json.loads(c["detector"]["StringValue"]) for c in calls[1:]}
    assert per_team == {"compliance": ["leaks"], "customer-care": ["scams"]}
    assert all(json.loads(c["channels"]["StringValue"]) == ["team"] for c in calls[1:])  # no default subscription


def test_every_playbook_names_the_team_that_owns_the_next_step():
    assert "compliance" in playbook_for("leaks", "credit_card").owner
    assert "customer service" in playbook_for("scams", "fake_coupon").owner
    assert "security" in playbook_for("impersonation", "impersonation_person").owner
    assert playbook_for("whatever", "else").owner
