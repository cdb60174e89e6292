"""Takedown evidence packs: the subject, what it copies, the signals, a verifiable hash, and each
platform's reporting route."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pytest

from sentinelle.api.takedown import BLUESKY_LABELER, content_hash, evidence_pack, snapshot
from sentinelle.model import Finding, Incident, Severity, Subject
from sentinelle.watchlist import parse_watchlist

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
SEEN = datetime(2026, 11, 27, 9, 30, tzinfo=timezone.utc)
WATCHLIST = parse_watchlist({
    "organization": "Acme",
    "official_accounts": [{"platform": "mastodon", "handle": "@acme@mastodon.social"},
                          {"platform": "bluesky", "handle": "acme.com"}],
    "people": [{"name": "Claire Martin", "accounts": [{"platform": "bluesky", "handle": "clairemartin.bsky.social"}]}],
})


def incident(platform="mastodon", kind="account", subject_id="109876", detector="impersonation",
             incident_kind="person_impersonation", handle="claire_martin_invest@mastodon.social",
             url="https://mastodon.social/@claire_martin_invest", item_id="1130", evidence=None) -> Incident:
    finding = Finding(
        detector=detector, kind=incident_kind, severity=Severity.high, score=82,
        reasons=["display name matches protected person Claire Martin", "links to a lookalike login page"],
        evidence=evidence if evidence is not None else {"impersonates": "Claire Martin (wealth adviser)"},
        subject=Subject(platform=platform, kind=kind, id=subject_id, handle=handle, url=url),
        item_id=item_id, item_url=f"{url}/{item_id}" if url and item_id else None, observed_at=SEEN)
    return Incident.from_finding(finding, SEEN)


def test_pack_carries_what_a_platform_needs():
    inc = incident()
    pack = evidence_pack(inc, watchlist=WATCHLIST, now=NOW)
    assert pack["url"] == "https://mastodon.social/@claire_martin_invest"
    assert pack["item_url"] == "https://mastodon.social/@claire_martin_invest/1130"
    assert pack["impersonates"] == "Claire Martin (wealth adviser)"
    assert pack["official_accounts"] == [{"platform": "mastodon", "handle": "@acme@mastodon.social"}]
    assert pack["signals"] == inc.reasons
    assert pack["captured_at"] == SEEN.isoformat() and pack["prepared_at"] == NOW.isoformat()
    assert pack["sent"] is False


def test_identity_and_official_accounts_come_from_the_detectors_evidence():
    inc = incident(evidence={"identity": "Claire Martin", "identity_kind": "person",
                             "official_handles": ["mastodon:claire_martin@finance.social"]})
    pack = evidence_pack(inc, watchlist=WATCHLIST, now=NOW)
    assert pack["impersonates"] == "Claire Martin"
    assert pack["official_accounts"] == [{"platform": "mastodon", "handle": "claire_martin@finance.social"}]
    scam = incident(detector="scams", incident_kind="coupon_scam", evidence={"brand": "Acme", "phones": []})
    assert evidence_pack(scam, watchlist=None, now=NOW)["impersonates"] == "Acme"


def test_hash_verifies_the_snapshot_and_changes_with_it():
    inc = incident()
    pack = evidence_pack(inc, watchlist=None, now=NOW)
    canonical = json.dumps(pack["snapshot"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert pack["snapshot_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    # Triage does not change what was seen; new evidence does.
    triaged = inc.model_copy(update={"assignee": "alice"})
    assert content_hash(snapshot(triaged)) == pack["snapshot_sha256"]
    other = incident(evidence={"impersonates": "someone else"})
    assert content_hash(snapshot(other)) != pack["snapshot_sha256"]


def test_mastodon_report_api():
    report = evidence_pack(incident(), watchlist=None, now=NOW)["report"]
    assert report["how"] == "api" and report["method"] == "POST"
    assert report["url"] == "https://mastodon.social/api/v1/reports"
    body = report["body"]
    assert body["account_id"] == "109876" and body["status_ids"] == ["1130"] and body["forward"] is True
    assert body["category"] == "other" and "Claire Martin" in body["comment"]


def test_mastodon_scam_is_spam():
    report = evidence_pack(incident(detector="scams", incident_kind="coupon_scam"), watchlist=None,
                           now=NOW)["report"]
    assert report["body"]["category"] == "spam"


def test_bluesky_account_report_goes_to_the_labeler():
    inc = incident(platform="bluesky", subject_id="did:plc:fake123", handle="claire-martin.bsky.social",
                   url="https://bsky.app/profile/claire-martin.bsky.social", item_id=None)
    report = evidence_pack(inc, watchlist=WATCHLIST, now=NOW)["report"]
    assert report["url"].endswith("/xrpc/com.atproto.moderation.createReport")
    assert report["headers"] == {"atproto-proxy": BLUESKY_LABELER}
    assert report["body"]["reasonType"] == "tools.ozone.report.defs#reasonMisleadingImpersonation"
    assert report["body"]["subject"] == {"$type": "com.atproto.admin.defs#repoRef", "did": "did:plc:fake123"}


def test_bluesky_scam_post_is_a_strong_ref():
    uri = "at://did:plc:fake123/app.bsky.feed.post/3kabc"
    inc = incident(platform="bluesky", kind="post", subject_id=uri, detector="scams", incident_kind="coupon_scam",
                   handle="deals.bsky.social", url=None, item_id=None, evidence={"cid": "bafyreiexample"})
    body = evidence_pack(inc, watchlist=None, now=NOW)["report"]["body"]
    assert body["reasonType"] == "tools.ozone.report.defs#reasonMisleadingScam"
    assert body["subject"] == {"$type": "com.atproto.repo.strongRef", "uri": uri, "cid": "bafyreiexample"}


@pytest.mark.parametrize("kind, url_end, field", [("account", "/api/report_user", "user"),
                                                  ("post", "/api/report", "thing_id")])
def test_reddit_report_api(kind, url_end, field):
    inc = incident(platform="reddit", kind=kind, subject_id="1abcde", handle="acme_support_team",
                   url="https://www.reddit.com/user/acme_support_team")
    report = evidence_pack(inc, watchlist=None, now=NOW)["report"]
    assert report["url"].endswith(url_end)
    assert report["body"][field] == ("acme_support_team" if kind == "account" else "t3_1abcde")


def test_x_has_a_form_not_an_api():
    inc = incident(platform="x", subject_id="44196397", handle="ClaireMartinInv", url="https://x.com/ClaireMartinInv")
    report = evidence_pack(inc, watchlist=None, now=NOW)["report"]
    assert report["how"] == "form" and report["url"].startswith("https://help.x.com/")


def test_youtube_video_uses_report_abuse():
    inc = incident(platform="youtube", kind="post", subject_id="dQw4w9WgXcQ", detector="scams",
                   incident_kind="giveaway_scam", handle="AcmeLiveGiveaway", url="https://www.youtube.com/watch?v=x")
    report = evidence_pack(inc, watchlist=None, now=NOW)["report"]
    assert report["url"].endswith("/youtube/v3/videos/reportAbuse") and report["body"]["videoId"] == "dQw4w9WgXcQ"


def test_unknown_platform_still_gets_a_pack():
    inc = incident(platform="forum-of-nowhere", handle="someone", url="https://forum.example/u/someone")
    pack = evidence_pack(inc, watchlist=None, now=NOW)
    assert pack["report"]["how"] in ("manual", "form", "email") and pack["snapshot_sha256"]
