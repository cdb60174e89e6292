"""Sending takedown reports through the platforms' reporting APIs: only when asked and configured."""

from __future__ import annotations

import os
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from sentinelle.http import USER_AGENT
from sentinelle.model import Incident
from sentinelle.secrets import get_secret

TIMEOUT = httpx.Timeout(15.0, connect=5.0)


def _client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, headers={"User-Agent": USER_AGENT})


class ReportError(Exception):
    """The platform refused the report or could not be reached; the message says which."""


class Reporter(Protocol):
    def send(self, incident: Incident, pack: dict[str, Any]) -> dict[str, Any]:
        """File the report of `pack`; answers what the platform said (its report id)."""


def _call(client: httpx.Client, method: str, url: str, **kw: Any) -> Any:
    try:
        response = client.request(method, url, **kw)
    except httpx.HTTPError as exc:
        raise ReportError(f"{url}: {type(exc).__name__}") from None
    if response.status_code >= 400:
        raise ReportError(f"{url}: HTTP {response.status_code}: {response.text[:200]}")
    try:
        return response.json()
    except ValueError:
        raise ReportError(f"{url}: the answer is not JSON") from None


class MastodonReporter:
    """Reports filed on our own instance, which forwards them to the account's home instance."""

    def __init__(self, instance: str, token: str, client: httpx.Client | None = None):
        self.base = "https://" + instance.strip().lower().removeprefix("https://").strip("/")
        self.client = client or _client()
        self.auth = {"Authorization": f"Bearer {token}"}

    def send(self, incident: Incident, pack: dict[str, Any]) -> dict[str, Any]:
        acct = (incident.subject.handle or "").lstrip("@")
        if not acct:
            raise ReportError("the account has no handle to look up")
        # Ids in the pack are those of the instance Sentinelle read from; ours knows the account
        # under its own id.
        account = _call(self.client, "GET", f"{self.base}/api/v1/accounts/lookup", params={"acct": acct},
                        headers=self.auth)
        report = pack["report"]
        body = report["body"]
        sent = {"account_id": account["id"], "comment": body["comment"], "category": body["category"],
                "forward": True}
        # Status ids are those of the instance Sentinelle read from: valid here only if it is ours.
        if body.get("status_ids") and urlsplit(report["url"]).hostname == urlsplit(self.base).hostname:
            sent["status_ids"] = body["status_ids"]
        answer = _call(self.client, "POST", f"{self.base}/api/v1/reports", headers=self.auth, json=sent)
        return {"platform": "mastodon", "instance": self.base, "report_id": str(answer.get("id"))}


class BlueskyReporter:
    """Reports through our PDS, proxied to Bluesky's moderation service."""

    def __init__(self, handle: str, app_password: str, pds: str = "https://bsky.social",
                 client: httpx.Client | None = None):
        self.handle, self.password, self.pds = handle, app_password, pds.rstrip("/")
        self.client = client or _client()

    def send(self, incident: Incident, pack: dict[str, Any]) -> dict[str, Any]:
        session = _call(self.client, "POST", f"{self.pds}/xrpc/com.atproto.server.createSession",
                        json={"identifier": self.handle, "password": self.password})
        report = pack["report"]
        answer = _call(self.client, "POST", f"{self.pds}/xrpc/com.atproto.moderation.createReport",
                       headers={**report["headers"], "Authorization": f"Bearer {session['accessJwt']}"},
                       json=report["body"])
        return {"platform": "bluesky", "report_id": str(answer.get("id"))}


def reporters_from_env() -> dict[str, Reporter]:
    """The reporters whose credentials are configured (none by default: nothing is ever sent).

    Mastodon: SENTINELLE_MASTODON_REPORT_INSTANCE and the secret `mastodon_report_token` (a user
    token with write:reports and read:accounts). Bluesky: SENTINELLE_BLUESKY_REPORT_HANDLE and the
    secret `bluesky_report_app_password` (SENTINELLE_BLUESKY_REPORT_PDS, default bsky.social).
    """
    reporters: dict[str, Reporter] = {}
    instance = os.environ.get("SENTINELLE_MASTODON_REPORT_INSTANCE")
    token = get_secret("mastodon_report_token") if instance else None
    if instance and token:
        reporters["mastodon"] = MastodonReporter(instance, token)
    handle = os.environ.get("SENTINELLE_BLUESKY_REPORT_HANDLE")
    password = get_secret("bluesky_report_app_password") if handle else None
    if handle and password:
        reporters["bluesky"] = BlueskyReporter(
            handle, password, os.environ.get("SENTINELLE_BLUESKY_REPORT_PDS", "https://bsky.social"))
    return reporters
