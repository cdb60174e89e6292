"""Fixtures for the API tests: a seeded store, the local server on a free port, an HTTP client."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Iterator

import httpx
import pytest

from sentinelle.api.server import local_app, make_server
from sentinelle.model import Finding, Severity, Subject
from sentinelle.store.sqlite import SQLiteStore

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


def seed(store: SQLiteStore, n: int) -> list[str]:
    """Record n incidents, one hour apart; answers their ids, newest first."""
    ids = [store.record(finding(i), T0 + timedelta(hours=i)).incident.id for i in range(n)]
    return ids[::-1]


@pytest.fixture
def store(tmp_path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "api.db")
    yield s
    s.close()


@pytest.fixture
def server(store) -> Iterator[str]:
    """The local API over `store` on 127.0.0.1 at a free port; answers its base URL."""
    httpd = make_server(local_app(store, TOKEN), "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as c:
        yield c
