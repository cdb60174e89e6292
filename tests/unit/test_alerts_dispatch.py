"""deliver(): thresholds, one digest instead of a storm, failing sinks reported and retried, never raised."""

from __future__ import annotations

import pytest

from datetime import datetime, timezone
from typing import ClassVar

from sentinelle.alerts.dispatch import build_sinks, deliver
from sentinelle.alerts.sinks import ConsoleSink, SmtpSink, WebhookSink
from sentinelle.config import AlertConfig
from sentinelle.model import Change, Finding, Incident, Severity, Subject
from sentinelle.ports import Alert
from sentinelle.watchlist import Thresholds

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


def alert(n: int, severity: Severity = Severity.high, change: Change = Change.new) -> Alert:
    f = Finding(detector="impersonation", kind="person_account", severity=severity, score=80,
                reasons=["copies Claire Dubois"],
                subject=Subject(platform="x", kind="account", id=str(n), handle=f"claire{n}"))
    return Alert(id=f"a{n}", incident=Incident.from_finding(f, T0), change=change)


class Recorder:
    threshold: ClassVar[str] = "alert"

    def __init__(self, name: str = "rec", fail: bool = False):
        self.name, self.fail = name, fail
        self.single: list[str] = []
        self.digests: list[list[str]] = []

    def send(self, incident: Incident, change: Change) -> None:
        if self.fail:
            raise ConnectionError("smtp.example.test refused the connection")
        self.single.append(incident.subject.handle or "")

    def send_digest(self, items) -> None:
        if self.fail:
            raise ConnectionError("down")
        self.digests.append([i.subject.handle or "" for i, _ in items])


class SmsRecorder(Recorder):
    threshold: ClassVar[str] = "sms"


def test_each_alert_goes_to_each_sink_and_is_done():
    a, b = Recorder("a"), Recorder("b")
    report = deliver([alert(1), alert(2)], [a, b], Thresholds())
    assert a.single == b.single == ["claire1", "claire2"]
    assert report.delivered == ["a1", "a2"] and report.pending == [] and report.ok
    assert report.messages == {"a": 2, "b": 2} and not report.digest


def test_below_threshold_and_repeats_page_no_one_but_are_done():
    rec = Recorder()
    report = deliver([alert(1, Severity.low), alert(2, change=Change.repeat), alert(3, Severity.medium)], [rec],
                     Thresholds(alert=Severity.medium))
    assert rec.single == ["claire3"]
    assert sorted(report.delivered) == ["a1", "a2", "a3"] and sorted(report.below_threshold) == ["a1", "a2"]


def test_sms_sinks_only_get_their_threshold():
    sms = SmsRecorder("sms")
    deliver([alert(1, Severity.medium), alert(2, Severity.high), alert(3, Severity.critical)], [sms], Thresholds())
    assert sms.single == ["claire2", "claire3"]


def test_a_burst_becomes_one_digest_per_sink():
    mail, sms = Recorder("mail"), SmsRecorder("sms")
    alerts = [alert(n, Severity.critical if n == 0 else Severity.medium) for n in range(11)]
    report = deliver(alerts, [mail, sms], Thresholds(digest_after=10))
    assert report.digest and mail.single == [] and len(mail.digests) == 1 and len(mail.digests[0]) == 11
    assert sms.digests == [["claire0"]], "one digest SMS, listing only what reaches the SMS threshold"
    assert len(report.delivered) == 11 and report.messages == {"mail": 1, "sms": 1}


def test_exactly_the_threshold_is_not_a_digest():
    rec = Recorder()
    assert not deliver([alert(n) for n in range(10)], [rec], Thresholds(digest_after=10)).digest
    assert len(rec.single) == 10


def test_a_failing_sink_is_reported_not_raised_and_its_alerts_stay_pending():
    good, bad = Recorder("console"), Recorder("smtp", fail=True)
    report = deliver([alert(1), alert(2, Severity.low)], [good, bad], Thresholds())
    assert good.single == ["claire1"]
    assert report.pending == ["a1"] and report.delivered == ["a2"]
    assert report.failures == [("smtp", "ConnectionError: smtp.example.test refused the connection")]
    assert not report.ok


def test_a_failing_digest_keeps_the_whole_burst_pending():
    report = deliver([alert(n) for n in range(3)], [Recorder(fail=True)], Thresholds(digest_after=2))
    assert report.digest and sorted(report.pending) == ["a0", "a1", "a2"] and report.delivered == []


def test_build_sinks_from_the_run_configuration():
    assert [type(s) for s in build_sinks(AlertConfig(), {})] == [ConsoleSink]
    env = {"SENTINELLE_SMTP_HOST": "smtp.example.test", "SENTINELLE_SMTP_TO": "soc@example.test"}
    sinks = build_sinks(AlertConfig(console=False, smtp=True, webhook="https://hooks.example.test/x"), env)
    assert [type(s) for s in sinks] == [SmtpSink, WebhookSink]
    assert build_sinks(AlertConfig(console=False, smtp=True), {}) == []  # logged, not fatal
    hook = build_sinks(AlertConfig(console=False), {"SENTINELLE_WEBHOOK_URL": "https://hooks.example.test/y"})
    assert [type(s) for s in hook] == [WebhookSink]


def test_local_sinks_register_once_by_name():
    from sentinelle.alerts.sinks import LOCAL_SINKS, local_sink

    assert set(LOCAL_SINKS) == {"console", "smtp", "webhook"}
    with pytest.raises(ValueError, match="already registered"):
        local_sink(type("Again", (), {"name": "console"}))
