"""Alert sinks: console, SMTP, webhook (retries), SNS (variants and filterable attributes)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
import respx
from rich.console import Console

from sentinelle.watchlist import Thresholds
from sentinelle.alerts.sinks import ConsoleSink, SmtpSink, SnsSink, WebhookSink
from sentinelle.model import Change, Finding, Incident, Severity, Subject

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
HOOK = "https://hooks.example.test/services/T000/B000/XXXX"


def incident(severity: Severity = Severity.high, n: int = 1, detector: str = "scams") -> Incident:
    f = Finding(detector=detector, kind="fake_promotion", severity=severity, score=80,
                reasons=["-50% coupon with #MaisonLumière asks for the card number"],
                evidence={"text": "Appelez le ••••••••42"},
                subject=Subject(platform="mastodon", kind="account", id=str(n), handle=f"promo{n}@mastodon.social",
                                display_name="Maison Lumière Promo"))
    return Incident.from_finding(f, T0)


def test_console_prints_a_panel_and_a_digest_table():
    console = Console(record=True, width=120)
    sink = ConsoleSink(console)
    sink.send(incident(), Change.new)
    sink.send_digest([(incident(Severity.critical, 2), Change.new), (incident(Severity.medium, 3), Change.escalated)])
    out = console.export_text()
    assert "[Sentinelle HIGH] New scams: @promo1@mastodon.social" in out
    assert "First steps:" in out
    assert "Digest: 2 incidents (1 critical, 1 medium)" in out
    assert out.index("critical") < out.index("medium")


class FakeSMTP:
    sent: list[Any] = []
    calls: list[str] = []

    def __init__(self, host: str, port: int, timeout: float):
        self.calls.append(f"connect {host}:{port}")

    def __enter__(self) -> "FakeSMTP":
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls.append("quit")

    def starttls(self) -> None:
        self.calls.append("starttls")

    def login(self, user: str, password: str) -> None:
        self.calls.append(f"login {user}")

    def send_message(self, msg: Any) -> None:
        self.sent.append(msg)


@pytest.fixture
def smtp(monkeypatch):
    FakeSMTP.sent, FakeSMTP.calls = [], []
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    return FakeSMTP


def test_smtp_from_env_uses_starttls_and_login(smtp):
    sink = SmtpSink.from_env({"SENTINELLE_SMTP_HOST": "smtp.example.test", "SENTINELLE_SMTP_PORT": "587",
                              "SENTINELLE_SMTP_USER": "alerts", "SENTINELLE_SMTP_PASSWORD": "pw",
                              "SENTINELLE_SMTP_FROM": "sentinelle@example.test",
                              "SENTINELLE_SMTP_TO": "soc@example.test, dpo@example.test"})
    assert sink is not None
    sink.send(incident(), Change.new)
    assert smtp.calls == ["connect smtp.example.test:587", "starttls", "login alerts", "quit"]
    (msg,) = smtp.sent
    assert msg["To"] == "soc@example.test, dpo@example.test"
    assert msg["Subject"].startswith("[Sentinelle HIGH] New scams")
    assert "What to say to customers" in msg.get_content()


def test_smtp_without_host_is_off_and_without_recipient_is_an_error():
    assert SmtpSink.from_env({}) is None
    with pytest.raises(ValueError, match="SENTINELLE_SMTP_TO"):
        SmtpSink.from_env({"SENTINELLE_SMTP_HOST": "smtp.example.test"})


def test_smtp_digest_is_one_message(smtp):
    SmtpSink("smtp.example.test", 25, to=["soc@example.test"], starttls=False).send_digest(
        [(incident(n=n), Change.new) for n in range(12)])
    (msg,) = smtp.sent
    assert "Digest: 12 incidents" in msg["Subject"]
    assert "starttls" not in smtp.calls


@respx.mock
def test_webhook_retries_transient_failures():
    route = respx.post(HOOK).mock(side_effect=[httpx.Response(503), httpx.ConnectError("reset"), httpx.Response(200)])
    WebhookSink(HOOK, backoff=0).send(incident(), Change.new)
    assert route.call_count == 3
    body = json.loads(route.calls.last.request.content)
    assert body["text"] and body["incident"]["detector"] == "scams"


@respx.mock
def test_webhook_gives_up_without_leaking_the_url():
    respx.post(HOOK).mock(return_value=httpx.Response(403))
    with pytest.raises(RuntimeError) as err:
        WebhookSink(HOOK, backoff=0).send(incident(), Change.new)
    assert "403" in str(err.value) and "XXXX" not in str(err.value)


@respx.mock
def test_webhook_digest_is_one_post():
    route = respx.post(HOOK).mock(return_value=httpx.Response(200))
    WebhookSink(HOOK, backoff=0).send_digest([(incident(n=n), Change.new) for n in range(5)])
    assert route.call_count == 1
    assert json.loads(route.calls.last.request.content)["digest"] is True


TOPIC = "arn:aws:sns:eu-west-3:123456789012:t"


class FakeSns:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **kw: Any) -> dict[str, str]:
        self.published.append(kw)
        return {"MessageId": f"m{len(self.published)}"}


def test_sns_message_has_variants_and_filterable_attributes():
    client = FakeSns()
    assert SnsSink(TOPIC, Thresholds(), client=client).send(incident(), Change.new) == "m1"
    (kw,) = client.published
    assert kw["MessageStructure"] == "json"
    assert kw["MessageAttributes"] == {"channels": {"DataType": "String.Array", "StringValue": '["alert", "sms"]'},
                                       "severity": {"DataType": "String", "StringValue": "high"},
                                       "detector": {"DataType": "String", "StringValue": "scams"}}
    variants = json.loads(kw["Message"])
    assert set(variants) == {"default", "email", "sms"}
    assert len(variants["sms"]) <= 160 and "First steps" in variants["email"]
    assert json.loads(variants["default"])["incident"]["kind"] == "fake_promotion"
    # SNS subjects: ASCII, one line, under 100 characters.
    assert kw["Subject"].isascii() and len(kw["Subject"]) < 100 and "\n" not in kw["Subject"]


def test_sns_digest_names_every_detector_for_filters():
    client = FakeSns()
    SnsSink(TOPIC, Thresholds(), client=client).send_digest(
        [(incident(Severity.medium, 1, "scams"), Change.new), (incident(Severity.critical, 2, "leaks"), Change.new)])
    attrs = client.published[0]["MessageAttributes"]
    assert attrs["channels"]["StringValue"] == '["alert", "sms"]'  # the critical one reaches the SMS subscription
    assert attrs["severity"] == {"DataType": "String", "StringValue": "critical"}
    assert attrs["detector"] == {"DataType": "String.Array", "StringValue": '["leaks", "scams"]'}


def test_sns_needs_a_topic():
    with pytest.raises(ValueError, match="SENTINELLE_TOPIC_ARN"):
        SnsSink("", Thresholds())


def test_sns_channels_follow_the_watchlists_sms_threshold():
    client = FakeSns()
    SnsSink(TOPIC, Thresholds(sms="critical"), client=client).send(incident(), Change.new)
    assert client.published[0]["MessageAttributes"]["channels"]["StringValue"] == '["alert"]'


def test_sns_message_stays_under_the_size_limit():
    client = FakeSns()
    big = incident()
    big.evidence = {"context": "x" * 400_000}
    SnsSink(TOPIC, Thresholds(), client=client).send(big, Change.new)
    message = client.published[0]["Message"]
    assert len(message.encode()) <= SnsSink.MAX_BYTES
    default = json.loads(json.loads(message)["default"])
    assert default["truncated"] is True and default["text"] and "incident" not in default
