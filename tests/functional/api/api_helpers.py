"""Shared data for the API tests: the token and a seeded set of incidents."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sentinelle.model import Finding, Severity, Subject

TOKEN = "test-token-0123456789abcdef"
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
DETECTORS = ("scams", "impersonation", "leaks")
PLATFORMS = ("mastodon", "bluesky", "reddit")
SEVERITIES = (Severity.low, Severity.medium, Severity.high, Severity.critical)


def finding(i: int) -> Finding:
    """The i-th seeded finding: detectors, platforms and severities vary with i."""
    detector, platform = DETECTORS[i % 3], PLATFORMS[(i // 3) % 3]
    severity = SEVERITIES[i % 4]
    if platform == "bluesky":
        subject = Subject(platform=platform, kind="account", id=f"did:plc:fake{i:04d}", handle=f"acme-help{i}.bsky.social",
                          url=f"https://bsky.app/profile/acme-help{i}.bsky.social")
    else:
        subject = Subject(platform=platform, kind="account", id=str(1000 + i), handle=f"acme_support{i}",
                          url=f"https://mastodon.example/@acme_support{i}" if platform == "mastodon"
                          else f"https://www.reddit.com/user/acme_support{i}")
    return Finding(detector=detector, kind="brand_impersonation" if detector == "impersonation" else "coupon_scam",
                   severity=severity, score=30 + 15 * (i % 4), reasons=[f"uses the brand name (case {i})"],
                   evidence={"impersonates": "Acme", "match": "4111 •••• •••• 1111"}, subject=subject,
                   item_id=f"{i}01", item_url=f"{subject.url}/{i}01", observed_at=T0 + timedelta(hours=i))


def seed(store, n: int) -> list[str]:
    """Record n incidents, one hour apart; answers their ids, newest first."""
    ids = [store.record(finding(i), T0 + timedelta(hours=i)).incident.id for i in range(n)]
    return ids[::-1]
