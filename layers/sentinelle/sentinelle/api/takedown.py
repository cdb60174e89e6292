"""Takedown evidence packs and each platform's reporting route (built here, never sent from here)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sentinelle.model import Incident, norm_handle
from sentinelle.playbooks import ReportAs, playbook_for
from sentinelle.playbooks import report_route as playbook_report_route
from sentinelle.watchlist import Watchlist

# Bluesky's moderation service: reports go through the PDS, proxied to this labeler.
BLUESKY_LABELER = "did:plc:ar7c4by46qjdydhdevvrndac#atproto_labeler"

# Evidence keys under which detectors name the protected identity a subject copies.
_IDENTITY_KEYS = ("impersonates", "identity", "brand", "protected", "person")


def snapshot(incident: Incident) -> dict[str, Any]:
    """The incident as captured for the platform: what was seen, without Sentinelle's own workflow."""
    return incident.model_dump(mode="json", exclude={"history", "status", "assignee"})


def content_hash(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _comment(incident: Incident, report_as: str, identity: Any) -> str:
    copied = f" of {identity}" if identity and report_as == "impersonation" else ""
    reasons = "; ".join(incident.reasons[:5])
    return f"Reported as {report_as}{copied} by Sentinelle. Signals: {reasons}"[:1000]


def _latest_item(incident: Incident) -> tuple[str | None, str | None]:
    for finding in reversed(incident.findings):
        if finding.item_id or finding.item_url:
            return finding.item_id, finding.item_url
    return None, None


def _account(ref: Any) -> dict[str, Any]:
    if isinstance(ref, dict):
        return ref
    platform, _, handle = str(ref).partition(":")
    return {"platform": platform, "handle": handle} if handle else {"handle": platform}


def _official_accounts(incident: Incident, watchlist: Watchlist | None) -> list[dict[str, Any]]:
    """The real accounts: named by the detector (`official_handles`), else all those of the watchlist."""
    found = incident.evidence.get("official_accounts") or incident.evidence.get("official_handles")
    if isinstance(found, list) and found:
        return [_account(ref) for ref in found]
    if watchlist is None:
        return []
    refs = [*watchlist.official_accounts, *(a for p in watchlist.people for a in p.accounts)]
    same = [a for a in refs if a.platform == incident.platform] or refs
    return [{"platform": a.platform, "handle": a.handle} for a in same]


_MASTODON_CATEGORY = {"scam": "spam", "impersonation": "other", "privacy": "legal"}
_BLUESKY_REASON = {"scam": "tools.ozone.report.defs#reasonMisleadingScam",
                   "impersonation": "tools.ozone.report.defs#reasonMisleadingImpersonation",
                   "privacy": "com.atproto.moderation.defs#reasonViolation"}


def report_route(incident: Incident, report_as: ReportAs, comment: str) -> dict[str, Any]:
    """How to report the subject on its platform: an API request ready to send where the platform
    has a reporting API, else the form or contact that the playbooks name."""
    s = incident.subject
    platform = s.platform.lower()
    item_id, item_url = _latest_item(incident)
    is_post = s.kind == "post"
    if platform == "mastodon":
        host = (norm_handle(s.handle).partition("@")[2] or urlsplit(s.url or item_url or "").hostname
                or "<instance>")
        account_id = s.id if s.kind == "account" else incident.evidence.get("author_id")
        # A post report names the post; a profile report names no status (the item that showed an
        # account is the account itself when it was read as a profile).
        status_ids = [s.id] if is_post else ([item_id] if item_id and item_id != s.id else [])
        return {
            "how": "api", "method": "POST", "url": f"https://{host}/api/v1/reports",
            "auth": "a user token with the write:reports scope on the instance you report from",
            "body": {"account_id": account_id, "status_ids": status_ids,
                     "comment": comment, "category": _MASTODON_CATEGORY[report_as], "forward": True},
            # Mastodon ids are per instance: these are the ids where Sentinelle read the account.
            "lookup": f"GET https://{host}/api/v1/accounts/lookup?acct={norm_handle(s.handle) or s.id}",
            "detail": "ids are those of the instance Sentinelle read from; reporting from another instance, "
                      "look the account up there first (forward=true tells its home instance)",
        }
    if platform == "bluesky":
        if is_post and s.id.startswith("at://") and incident.evidence.get("cid"):
            subject: dict[str, Any] = {"$type": "com.atproto.repo.strongRef", "uri": s.id,
                                       "cid": incident.evidence.get("cid")}
        else:
            did = s.id if s.id.startswith("did:") else s.id.removeprefix("at://").split("/")[0]
            subject = {"$type": "com.atproto.admin.defs#repoRef", "did": did}
        return {
            "how": "api", "method": "POST", "url": "https://bsky.social/xrpc/com.atproto.moderation.createReport",
            "auth": "a session of the reporting account (com.atproto.server.createSession, app password)",
            "headers": {"atproto-proxy": BLUESKY_LABELER},
            "body": {"reasonType": _BLUESKY_REASON[report_as], "subject": subject, "reason": comment},
        }
    if platform == "reddit":
        auth = "a script app with a user context (password grant) and the report scope"
        if is_post:
            thing = s.id if s.id[:3] in ("t1_", "t3_") else f"t3_{s.id}"
            return {"how": "api", "method": "POST", "url": "https://oauth.reddit.com/api/report", "auth": auth,
                    "body": {"thing_id": thing, "reason": "other", "other_reason": comment[:100]}}
        return {"how": "api", "method": "POST", "url": "https://oauth.reddit.com/api/report_user", "auth": auth,
                "body": {"user": norm_handle(s.handle) or s.id, "reason": report_as, "details": comment}}
    if platform == "youtube" and is_post:
        return {"how": "api", "method": "POST", "url": "https://www.googleapis.com/youtube/v3/videos/reportAbuse",
                "auth": "an OAuth user token (50 quota units)",
                "body": {"videoId": s.id, "reasonId": "<an id from videoAbuseReportReasons.list>",
                         "comments": comment}}
    route = playbook_report_route("domain" if s.kind == "domain" else platform, report_as)
    if route is None:
        return {"how": "manual", "url": None,
                "detail": "no known reporting route: contact the platform or the site's host with this pack"}
    return {"how": route.how, "url": route.where if route.how == "form" else None, "contact": route.where,
            "detail": route.detail}


def evidence_pack(incident: Incident, *, watchlist: Watchlist | None, now: datetime) -> dict[str, Any]:
    """Everything a platform's trust-and-safety team needs, with a hash that fixes what was seen."""
    snap = snapshot(incident)
    identity = next((incident.evidence[k] for k in _IDENTITY_KEYS if incident.evidence.get(k)), None)
    item_id, item_url = _latest_item(incident)
    captured = max((f.observed_at for f in incident.findings), default=incident.last_seen)
    playbook = playbook_for(incident.detector, incident.kind)
    comment = _comment(incident, playbook.report_as, identity)
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
        "report": report_route(incident, playbook.report_as, comment),
        "sent": False,
    }
