"""Filing takedown reports through Mastodon's and Bluesky's APIs (recorded answers, no network)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

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


# --- Issue 16 item 10: each platform's report payload against its documented API ----------------

DOCUMENTED = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "reporting" / "documented_payloads.json")
                        .read_text(encoding="utf-8"))
TYPES = {"string": str, "boolean": bool, "object": dict}


def _made(platform: str, kind: str, subject_id: str, handle: str | None, item_id: str, **evidence: object) -> Incident:
    finding = Finding(detector="impersonation" if kind == "account" else "scams",
                      kind="brand_impersonation" if kind == "account" else "brand_scam",
                      severity=Severity.high, score=80, reasons=["copies the brand"] * 3,
                      evidence={"impersonates": "Acme", **evidence},
                      subject=Subject(platform=platform, kind=kind, id=subject_id, handle=handle),
                      item_id=item_id, item_url=f"https://{platform}.example/{item_id}")
    return Incident.from_finding(finding, NOW)


CASES = [
    # (endpoint spec, incident): a profile read as a profile, an account seen through its post, a post.
    ("mastodon", _made("mastodon", "account", "109777", "fake@evil.example", "109777")),
    ("mastodon", _made("mastodon", "account", "109777", "fake@evil.example", "113520411870001236")),
    ("mastodon", _made("mastodon", "post", "113520411870001237", None, "113520411870001237", author_id="109777")),
    ("bluesky", _made("bluesky", "account", "did:plc:fake1", "fake.bsky.social", "did:plc:fake1")),
    ("bluesky", _made("bluesky", "post", "at://did:plc:fake1/app.bsky.feed.post/3k", None,
                      "at://did:plc:fake1/app.bsky.feed.post/3k", cid="bafyrei")),
    ("reddit_account", _made("reddit", "account", "t2_abc", "fake_support", "t2_abc")),
    ("reddit_post", _made("reddit", "post", "1abcde", None, "1abcde")),
    ("youtube", _made("youtube", "post", "dQw4w9WgXcQ", None, "dQw4w9WgXcQ")),
]


@pytest.mark.parametrize("spec_name, inc", CASES, ids=[f"{s}-{i.subject.kind}-{n}" for n, (s, i) in enumerate(CASES)])
def test_report_payloads_follow_each_platforms_documented_api(spec_name, inc):
    spec = DOCUMENTED[spec_name]
    report = evidence_pack(inc, watchlist=None, now=NOW)["report"]
    assert report["how"] == "api" and report["method"] == "POST" and report["url"].endswith(spec["url_suffix"])
    body = report["body"]
    assert set(body) <= set(spec["fields"]), set(body) - set(spec["fields"])
    assert all(body.get(k) not in (None, "") for k in spec["required"]), body
    for key, value in body.items():
        kind = spec["fields"][key]
        if kind == "array_of_string":
            assert isinstance(value, list) and all(isinstance(v, str) for v in value), (key, value)
        else:
            assert isinstance(value, TYPES[kind]), (key, value)
    for key, limit in spec["max_length"].items():
        assert len(body.get(key, "")) <= limit, key
    for key, allowed in spec.get("enums", {}).items():
        assert body.get(key, allowed[0]) in allowed
    if "subjects" in spec:
        kind = body["subject"]["$type"]
        assert set(body["subject"]) - {"$type"} == set(spec["subjects"][kind])


def test_mastodon_profile_reports_carry_no_status_ids_and_post_reports_the_posts_id():
    """The bug: a profile report put the account id in status_ids."""
    bodies = [evidence_pack(inc, watchlist=None, now=NOW)["report"]["body"] for s, inc in CASES if s == "mastodon"]
    profile, account_by_post, post = bodies
    assert profile["account_id"] == "109777" and profile["status_ids"] == []
    assert account_by_post["account_id"] == "109777" and account_by_post["status_ids"] == ["113520411870001236"]
    assert post["account_id"] == "109777" and post["status_ids"] == ["113520411870001237"]


@respx.mock
def test_mastodon_reporter_sends_status_ids_only_where_they_are_valid():
    inc = CASES[1][1]  # read on evil.example: its status ids mean nothing on ours
    respx.get("https://ours.social/api/v1/accounts/lookup").respond(json={"id": "777"})
    route = respx.post("https://ours.social/api/v1/reports").respond(json={"id": "1"})
    MastodonReporter("ours.social", "tok").send(inc, evidence_pack(inc, watchlist=None, now=NOW))
    assert "status_ids" not in json.loads(route.calls.last.request.content)
    respx.get("https://evil.example/api/v1/accounts/lookup").respond(json={"id": "109777"})
    same = respx.post("https://evil.example/api/v1/reports").respond(json={"id": "2"})
    MastodonReporter("evil.example", "tok").send(inc, evidence_pack(inc, watchlist=None, now=NOW))
    assert json.loads(same.calls.last.request.content)["status_ids"] == ["113520411870001236"]
