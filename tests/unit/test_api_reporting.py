"""Filing takedown reports through Mastodon's and Bluesky's APIs (recorded answers, no network)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import httpx
import pytest
import respx

from sentinelle.api.reporting import BlueskyReporter, MastodonReporter, ReportError, reporters_from_env
from sentinelle.api.takedown import BLUESKY_LABELER, evidence_pack
from sentinelle.model import Finding, Incident, Severity, Subject

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def incident(platform: str, subject_id: str, handle: str) -> Incident:
    finding = Finding(detector="impersonation", kind="brand_impersonation", severity=Severity.high, score=80,
                      reasons=["copies the brand's name and logo"], evidence={"impersonates": "Acme"},
                      subject=Subject(platform=platform, kind="account", id=subject_id, handle=handle))
    return Incident.from_finding(finding, NOW)


@respx.mock
def test_mastodon_looks_the_account_up_then_reports_with_forward():
    inc = incident("mastodon", "10999", "acme_support@evil.example")
    lookup = respx.get("https://ours.social/api/v1/accounts/lookup", params={"acct": "acme_support@evil.example"}
                       ).respond(json={"id": "777", "acct": "acme_support@evil.example"})
    report = respx.post("https://ours.social/api/v1/reports").respond(json={"id": "42", "category": "other"})
    answer = MastodonReporter("ours.social", "tok").send(inc, evidence_pack(inc, watchlist=None, now=NOW))
    assert answer == {"platform": "mastodon", "instance": "https://ours.social", "report_id": "42"}
    assert lookup.called and report.calls.last.request.headers["authorization"] == "Bearer tok"
    sent = json.loads(report.calls.last.request.content)
    assert sent["account_id"] == "777" and sent["forward"] is True and sent["category"] == "other"
    assert "Acme" in sent["comment"]


@respx.mock
def test_bluesky_reports_through_the_labeler_proxy():
    inc = incident("bluesky", "did:plc:fake999", "acme-help.bsky.social")
    respx.post("https://bsky.social/xrpc/com.atproto.server.createSession").respond(
        json={"accessJwt": "jwt-1", "refreshJwt": "r", "did": "did:plc:us", "handle": "acme.com"})
    report = respx.post("https://bsky.social/xrpc/com.atproto.moderation.createReport").respond(
        json={"id": 9001, "reasonType": "x", "subject": {}, "reportedBy": "did:plc:us", "createdAt": "2026"})
    answer = BlueskyReporter("acme.com", "app-pass").send(inc, evidence_pack(inc, watchlist=None, now=NOW))
    assert answer == {"platform": "bluesky", "report_id": "9001"}
    request = report.calls.last.request
    assert request.headers["atproto-proxy"] == BLUESKY_LABELER and request.headers["authorization"] == "Bearer jwt-1"
    body = json.loads(request.content)
    assert body["reasonType"] == "tools.ozone.report.defs#reasonMisleadingImpersonation"
    assert body["subject"]["did"] == "did:plc:fake999"


@respx.mock
@pytest.mark.parametrize("failure", [httpx.Response(500, text="oops"), httpx.Response(401, json={"error": "x"}),
                                     httpx.ConnectError("down"), httpx.Response(200, text="<html>")])
def test_platform_failures_are_report_errors(failure):
    inc = incident("mastodon", "1", "someone@evil.example")
    route = respx.get("https://ours.social/api/v1/accounts/lookup")
    route.side_effect = failure if isinstance(failure, Exception) else None
    if not isinstance(failure, Exception):
        route.return_value = failure
    with pytest.raises(ReportError):
        MastodonReporter("ours.social", "tok").send(inc, evidence_pack(inc, watchlist=None, now=NOW))


def test_nothing_is_configured_by_default(monkeypatch):
    for name in ("SENTINELLE_MASTODON_REPORT_INSTANCE", "SENTINELLE_MASTODON_REPORT_TOKEN",
                 "SENTINELLE_BLUESKY_REPORT_HANDLE", "SENTINELLE_BLUESKY_REPORT_APP_PASSWORD",
                 "SENTINELLE_SECRETS_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    assert reporters_from_env() == {}
    monkeypatch.setenv("SENTINELLE_MASTODON_REPORT_INSTANCE", "ours.social")
    assert reporters_from_env() == {}  # an instance without a token sends nothing
    monkeypatch.setenv("SENTINELLE_MASTODON_REPORT_TOKEN", "tok")
    monkeypatch.setenv("SENTINELLE_BLUESKY_REPORT_HANDLE", "acme.com")
    monkeypatch.setenv("SENTINELLE_BLUESKY_REPORT_APP_PASSWORD", "pw")
    assert set(reporters_from_env()) == {"mastodon", "bluesky"}
