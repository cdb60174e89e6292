"""Takedown evidence packs and each platform's reporting route (built here, never sent from here)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sentinelle.model import Incident, norm_handle
from sentinelle.watchlist import Watchlist

# Bluesky's moderation service: reports go through the PDS, proxied to this labeler.
BLUESKY_LABELER = "did:plc:ar7c4by46qjdydhdevvrndac#atproto_labeler"

# Evidence keys under which detectors name the protected identity a subject copies.
_IDENTITY_KEYS = ("impersonates", "protected", "copies", "person", "brand", "lookalike_of", "official")

# Where a platform has no reporting API, a person files the platform's form.
_FORMS = {
    "x": "https://help.x.com/forms/impersonation",
    "twitter": "https://help.x.com/forms/impersonation",
    "youtube": "https://support.google.com/youtube/answer/2802027",
}


def snapshot(incident: Incident) -> dict[str, Any]:
    """The incident as captured for the platform: what was seen, without Sentinelle's own workflow."""
    return incident.model_dump(mode="json", exclude={"history", "status", "assignee"})


def content_hash(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _is_scam(incident: Incident) -> bool:
    return incident.detector == "scams" or "scam" in incident.kind or "phish" in incident.kind


def _comment(incident: Incident, identity: Any) -> str:
    what = "a scam" if _is_scam(incident) else "impersonation"
    copied = f" of {identity}" if identity and not _is_scam(incident) else ""
    reasons = "; ".join(incident.reasons[:5])
    return f"Reported as {what}{copied}. Signals: {reasons}"[:1000]


def _latest_item(incident: Incident) -> tuple[str | None, str | None]:
    for finding in reversed(incident.findings):
        if finding.item_id or finding.item_url:
            return finding.item_id, finding.item_url
    return None, None


def _official_accounts(incident: Incident, watchlist: Watchlist | None) -> list[dict[str, str]]:
    found = incident.evidence.get("official_accounts")
    if isinstance(found, list):
        return found
    if watchlist is None:
        return []
    refs = [*watchlist.official_accounts, *(a for p in watchlist.people for a in p.accounts)]
    same = [a for a in refs if a.platform == incident.platform] or refs
    return [{"platform": a.platform, "handle": a.handle} for a in same]


def report_route(incident: Incident, comment: str) -> dict[str, Any]:
    """How to report the subject on its platform: an API call ready to send, or a form to fill."""
    s = incident.subject
    platform = s.platform.lower()
    item_id, item_url = _latest_item(incident)
    is_post = s.kind == "post"
    if platform == "mastodon":
        host = urlsplit(s.url or item_url or "").hostname or (norm_handle(s.handle).partition("@")[2] or None)
        account_id = s.id if s.kind == "account" else incident.evidence.get("author_id")
        return {
            "kind": "api", "method": "POST",
            "url": f"https://{host or '<instance>'}/api/v1/reports",
            "auth": "user token with the write:reports scope, on the instance that hosts the account",
            "body": {"account_id": account_id, "status_ids": [s.id] if is_post else ([item_id] if item_id else []),
                     "comment": comment, "category": "spam" if _is_scam(incident) else "other",
                     "forward": True},
            "note": None if account_id else "look the account id up with GET /api/v1/accounts/lookup?acct=<handle>",
        }
    if platform == "bluesky":
        if is_post and s.id.startswith("at://"):
            subject: dict[str, Any] = {"$type": "com.atproto.repo.strongRef", "uri": s.id,
                                       "cid": incident.evidence.get("cid")}
        else:
            did = s.id if s.id.startswith("did:") else s.id.removeprefix("at://").split("/")[0]
            subject = {"$type": "com.atproto.admin.defs#repoRef", "did": did}
        reason = "reasonMisleadingScam" if _is_scam(incident) else "reasonMisleadingImpersonation"
        return {
            "kind": "api", "method": "POST",
            "url": "https://bsky.social/xrpc/com.atproto.moderation.createReport",
            "auth": "session of the reporting account (app password, com.atproto.server.createSession)",
            "headers": {"atproto-proxy": BLUESKY_LABELER},
            "body": {"reasonType": f"tools.ozone.report.defs#{reason}", "subject": subject, "reason": comment},
        }
    if platform == "reddit":
        if is_post:
            thing = s.id if s.id.startswith("t") and "_" in s.id else f"t3_{s.id}"
            return {"kind": "api", "method": "POST", "url": "https://oauth.reddit.com/api/report",
                    "auth": "script app with a user context (password grant), scope report",
                    "body": {"thing_id": thing, "reason": "other", "other_reason": comment[:100]}}
        return {"kind": "api", "method": "POST", "url": "https://oauth.reddit.com/api/report_user",
                "auth": "script app with a user context (password grant), scope report",
                "body": {"user": norm_handle(s.handle) or s.id, "reason": "impersonation" if not _is_scam(incident)
                         else "spam", "details": comment}}
    if platform == "youtube" and is_post:
        return {"kind": "api", "method": "POST", "url": "https://www.googleapis.com/youtube/v3/videos/reportAbuse",
                "auth": "OAuth user token (50 quota units)",
                "body": {"videoId": s.id, "reasonId": "<from videoAbuseReportReasons.list>", "comments": comment}}
    form = _FORMS.get(platform)
    return {"kind": "form", "url": form,
            "note": "file the platform's report form with this pack" if form
            else "no known reporting route: contact the platform or the site's host with this pack"}


def evidence_pack(incident: Incident, *, watchlist: Watchlist | None, now: datetime) -> dict[str, Any]:
    """Everything a platform's trust-and-safety team needs, with a hash that fixes what was seen."""
    snap = snapshot(incident)
    identity = next((incident.evidence[k] for k in _IDENTITY_KEYS if incident.evidence.get(k)), None)
    item_id, item_url = _latest_item(incident)
    captured = max((f.observed_at for f in incident.findings), default=incident.last_seen)
    comment = _comment(incident, identity)
    return {
        "incident_id": incident.id,
        "platform": incident.platform,
        "subject": incident.subject.model_dump(mode="json", exclude_none=True),
        "url": incident.subject.url or item_url,
        "item_url": item_url,
        "impersonates": identity,
        "official_accounts": _official_accounts(incident, watchlist),
        "signals": list(incident.reasons),
        "severity": incident.severity.value,
        "captured_at": captured.isoformat(),
        "prepared_at": now.isoformat(),
        "snapshot_sha256": content_hash(snap),
        "snapshot": snap,
        "report": report_route(incident, comment),
        "sent": False,
    }
