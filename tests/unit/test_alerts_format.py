"""Alert texts: actionable e-mail, 160-character SMS, webhook JSON, digests; never an unmasked value."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelle.alerts import format as fmt
from sentinelle.model import Change, Finding, HistoryEntry, Incident, Severity, Status, Subject

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
# GSM 03.38 basic characters that need no escape (ASCII subset plus what SMS uses here).
GSM_BASIC = set("@$_!\"#%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz \n")
CARD = "4111 1111 1111 1111"
IBAN = "FR76 3000 6000 0112 3456 7890 189"


def incident(severity: Severity = Severity.high, detector: str = "impersonation", kind: str = "person_account",
             reasons: list[str] | None = None, evidence: dict | None = None, handle: str = "claire.dubois.invest",
             platform: str = "x", display_name: str | None = "Claire Dubois") -> Incident:
    f = Finding(detector=detector, kind=kind, severity=severity, score=87,
                reasons=reasons or ["display name copies Claire Dubois (protected person)",
                                    "links to lumiere-patrimoine-connexion.com, a lookalike"],
                evidence=evidence if evidence is not None else {"link": "https://lumiere-patrimoine-connexion.com/login"},
                subject=Subject(platform=platform, kind="account", id="1234", handle=handle,
                                url=f"https://x.com/{handle}", display_name=display_name))
    return Incident.from_finding(f, T0)


@pytest.fixture(autouse=True)
def _api(monkeypatch):
    monkeypatch.setenv("SENTINELLE_API_URL", "https://api.example.test/")


def test_email_says_what_who_severity_why_and_what_to_do():
    inc = incident()
    subject, body = fmt.email(inc, Change.new)
    assert subject == "[Sentinelle HIGH] New impersonation: @claire.dubois.invest (Claire Dubois) on x (score 87)"
    assert "Who:       @claire.dubois.invest (Claire Dubois) on x" in body
    assert "Link:      https://x.com/claire.dubois.invest" in body
    assert "Severity:  high (score 87/100)" in body
    assert "first 2026-11-28T10:00Z" in body  # timestamps survive the masking safety net
    assert "  - display name copies Claire Dubois (protected person)" in body
    assert "First steps:\n  1. Capture the profile" in body
    assert "Report to x (form): https://help.x.com/forms/impersonation" in body
    assert f"Incident: https://api.example.test/incidents/{inc.id}" in body


def test_email_without_api_url_gives_the_incident_id(monkeypatch):
    monkeypatch.delenv("SENTINELLE_API_URL")
    inc = incident()
    _, body = fmt.email(inc, "escalated")
    assert f"Incident id: {inc.id}" in body and "https://api" not in body


def test_escalation_is_named_in_every_format():
    inc = incident(Severity.critical)
    assert fmt.email(inc, Change.escalated)[0].startswith("[Sentinelle CRITICAL] Escalated")
    assert " escalated " in fmt.sms(inc, Change.escalated)
    assert fmt.webhook_payload(inc, Change.escalated)["change"] == "escalated"


def test_reopening_is_named_in_every_format_and_the_email_says_why():
    from datetime import timedelta

    from sentinelle.incidents import merge_finding

    inc = incident(Severity.high).model_copy(update={"status": Status.takedown_accepted, "history": [
        HistoryEntry(at=T0, by="ana", action="takedown", status=Status.takedown_accepted)]})
    again, change = merge_finding(inc, inc.findings[-1], T0 + timedelta(hours=30))
    assert change is Change.reopened
    subject, body = fmt.email(again, change)
    assert subject.startswith("[Sentinelle HIGH] Reopened impersonation")
    assert "Reopened:  seen again 30 h after it was marked takedown_accepted" in body
    assert " reopened " in fmt.sms(again, change)
    assert fmt.webhook_payload(again, change)["change"] == "reopened"


def test_sensitive_values_are_masked_everywhere_even_if_a_detector_slipped():
    inc = incident(detector="leaks", kind="credit_card", reasons=[f"card {CARD} posted by an official account"],
                   evidence={"match": CARD, "iban": IBAN})
    subject, body = fmt.email(inc, Change.new)
    texts = [subject, body, fmt.sms(inc, Change.new), json.dumps(fmt.webhook_payload(inc, Change.new)),
             *fmt.digest_email([(inc, Change.new)]), fmt.digest_sms([(inc, Change.new)]),
             json.dumps(fmt.digest_payload([(inc, Change.new)]))]
    for text in texts:
        assert CARD not in text and CARD.replace(" ", "") not in text
        assert "3456 7890" not in text
    assert "4111 •••• •••• 1111" in body


def test_sms_fits_160_characters_and_keeps_the_essentials():
    inc = incident(Severity.critical, handle="a" * 40, display_name="B" * 60, reasons=["x" * 300])
    text = fmt.sms(inc, Change.new)
    assert len(text) <= 160
    assert text.startswith("Sentinelle CRITICAL new impersonation")
    assert text.endswith(f"id {inc.id[:12]}")


@settings(max_examples=60, deadline=None)
@given(handle=st.text(min_size=1, max_size=80), reason=st.text(min_size=1, max_size=400),
       name=st.one_of(st.none(), st.text(max_size=100)))
def test_sms_is_always_one_gsm_segment(handle, reason, name):
    inc = incident(handle=handle, reasons=[reason], display_name=name)
    for text in (fmt.sms(inc, Change.new), fmt.digest_sms([(inc, Change.new)] * 30)):
        assert len(text) <= fmt.SMS_MAX
        assert all(c in GSM_BASIC for c in text), "a character outside GSM-7 makes it a 70-character UCS-2 SMS"


def test_sms_keeps_masks_and_accents_readable_in_gsm():
    inc = incident(reasons=["demande la carte 4111 •••• •••• 1111 — « offre Lumière »"], handle="lumière")
    text = fmt.sms(inc, Change.new)
    assert "4111 * * 1111" not in text and "4111 **** **** 1111" in text
    assert "@lumiere on x" in text and '" offre Lumiere "' in text


def test_webhook_payload_has_text_for_chat_and_the_incident_for_soars():
    inc = incident()
    payload = fmt.webhook_payload(inc, Change.new)
    assert payload["text"].startswith("*New high impersonation incident (person_account)*")
    assert f"<https://api.example.test/incidents/{inc.id}>" in payload["text"]
    assert payload["incident"]["id"] == inc.id and payload["incident"]["subject"]["handle"] == inc.subject.handle
    assert payload["severity"] == "high" and payload["detector"] == "impersonation"
    assert payload["playbook"]["report"]["where"] == "https://help.x.com/forms/impersonation"
    json.dumps(payload)  # serialisable as is


def test_digest_lists_most_severe_first():
    items = [(incident(Severity.medium, handle="m"), Change.new), (incident(Severity.critical, handle="c"), Change.escalated),
             (incident(Severity.high, handle="h"), Change.new)]
    subject, body = fmt.digest_email(items)
    assert subject == "[Sentinelle CRITICAL] Digest: 3 incidents (1 critical, 1 high, 1 medium)"
    assert body.index("@c ") < body.index("@h ") < body.index("@m ")
    assert fmt.digest_sms(items).startswith("Sentinelle digest: 3 incidents (1 critical, 1 high, 1 medium)")
    payload = fmt.digest_payload(items)
    assert payload["digest"] is True and payload["severity"] == "critical" and len(payload["incidents"]) == 3


def test_domain_and_post_subjects_read_naturally():
    inc = incident()
    inc.subject = Subject(platform="web", kind="domain", id="lumiere-patrimoine-connexion.com")
    assert fmt.who(inc) == "the domain lumiere-patrimoine-connexion.com"
    inc.subject = Subject(platform="mastodon", kind="post", id="1", handle="@promo")
    assert fmt.who(inc) == "a post by @promo on mastodon"
    inc.subject = Subject(platform="youtube", kind="post", id="dQw4w9WgXcQ")
    assert fmt.who(inc) == "post dQw4w9WgXcQ on youtube"


def test_mastodon_handles_are_not_mistaken_for_email_addresses():
    inc = incident(handle="promo_lumiere@mastodon.social", platform="mastodon")
    assert "Who:       @promo_lumiere@mastodon.social (Claire Dubois) on mastodon" in fmt.email(inc, Change.new)[1]
    assert "@promo_lumiere@mastodon.social on mastodon" in fmt.sms(inc, Change.new)
