"""The life of an incident, in one place: merging a finding, transitions, reopening, expiry and
the allowlist (its keys and what an entry may suppress). Pure: the stores apply these rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sentinelle.masking import redact_free_deep, redact_free_text
from sentinelle.model import (
    MAX_FINDINGS,
    Change,
    Finding,
    HistoryEntry,
    Incident,
    Status,
    Subject,
    norm_handle,
)
from sentinelle.ports import InvalidTransition
from sentinelle.text.urls import allow_domain, mixed_script, split_host
from sentinelle.watchlist import Watchlist

DEFAULT_TTL_DAYS = 180  # closed incidents are kept this long, then expire
ACTOR = "sentinelle"

S = Status
# Where a status may go next. Any closed status may go back to open (reopen); the same status
# with only a note or an assignee is always allowed (see `apply_update`).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.open: frozenset({S.acknowledged, S.takedown_requested, S.resolved, S.false_positive}),
    S.acknowledged: frozenset({S.open, S.takedown_requested, S.resolved, S.false_positive}),
    S.takedown_requested: frozenset({S.takedown_accepted, S.takedown_denied, S.open}),
    S.takedown_denied: frozenset({S.open, S.acknowledged, S.takedown_requested, S.resolved,
                                  S.false_positive}),
    S.takedown_accepted: frozenset({S.open}),
    S.resolved: frozenset({S.open}),
    S.false_positive: frozenset({S.open}),
}

ALLOW_KINDS = ("account", "domain")


# Closed as dealt with (resolved, or taken down by the platform) and still seen this long after:
# the takedown failed or the subject came back. Shorter, and platforms' caches would reopen it.
REOPEN_AFTER = timedelta(hours=24)
REOPENS = (Status.resolved, Status.takedown_accepted)


def closed_at(incident: Incident) -> datetime | None:
    """When a person moved the incident to its current closed status (None: not closed that way)."""
    if incident.status not in REOPENS:
        return None
    return next((h.at for h in reversed(incident.history)
                 if h.status == incident.status and h.action in ("status", "takedown")), None)


def merge_finding(incident: Incident | None, finding: Finding, now: datetime) -> tuple[Incident, Change]:
    """What recording `finding` does to its incident (None: no incident had its key yet)."""
    if incident is None:
        return Incident.from_finding(finding, now), Change.new
    # One shallow copy with every change (no per-field validation: values come from valid models).
    update: dict[str, Any] = {
        "last_seen": max(incident.last_seen, now),
        "occurrences": incident.occurrences + 1,
        "findings": [*incident.findings, finding][-MAX_FINDINGS:],
    }
    change = Change.repeat
    # A false positive stays quiet whatever comes next: a person decided it was harmless.
    if incident.status is not Status.false_positive and finding.severity >= incident.severity:
        # Same level: show the latest explanation, without alerting anyone again.
        update.update(severity=finding.severity, score=finding.score, reasons=list(finding.reasons),
                      evidence=dict(finding.evidence))
        if finding.severity > incident.severity:
            change = Change.escalated
            update["history"] = [*incident.history, HistoryEntry(
                at=now, by=ACTOR, action="escalated", status=incident.status, severity=finding.severity)]
    since = closed_at(incident)
    if since is not None and now - since >= REOPEN_AFTER:
        hours = int((now - since).total_seconds() // 3600)
        update["status"] = Status.open
        update["history"] = [*update.get("history", incident.history), HistoryEntry(
            at=now, by=ACTOR, action="reopened", status=Status.open,
            note=f"seen again {hours} h after it was marked {incident.status.value}")]
        change = Change.reopened
    return incident.model_copy(update=update), change


def recorded_change(changes: Sequence[Change]) -> Change:
    """The one change a write of several findings of one incident records: the first that alerts
    (new then escalated in one batch is one alert, showing the incident as it now is), else repeat."""
    return next((c for c in changes if c.alerts), Change.repeat)


def apply_update(
    incident: Incident,
    *,
    status: Status | str | None,
    note: str | None,
    assignee: str | None,
    actor: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> Incident:
    """The incident after a person's triage step; raises InvalidTransition for a forbidden move."""
    new_status = Status(status) if status is not None else None
    if new_status is not None and new_status is not incident.status:
        allowed = TRANSITIONS[incident.status]
        if new_status not in allowed:
            names = ", ".join(sorted(s.value for s in allowed)) or "none"
            raise InvalidTransition(
                f"cannot change status from {incident.status.value} to {new_status.value}; "
                f"allowed from {incident.status.value}: {names}"
            )
    if new_status is None and note is None and assignee is None and not detail:
        raise InvalidTransition("nothing to change: give a status, a note, an assignee or a detail")
    # Free text from people (and platforms' answers in `detail`) is masked like findings, here
    # where both stores and both API paths pass.
    note, assignee = redact_free_text(note), redact_free_text(assignee)
    detail = redact_free_deep(detail) if detail else detail
    inc = incident.model_copy(deep=True)
    action = "note"
    if new_status is not None and new_status is not incident.status:
        action = "takedown" if new_status.value.startswith("takedown") else "status"
        if incident.status.closed and new_status is Status.open:
            action = "reopened"
        inc.status = new_status
    elif assignee is not None and note is None:
        action = "assigned"
    if assignee is not None:
        inc.assignee = assignee or None
    inc.history.append(HistoryEntry(at=now, by=actor, action=action, status=inc.status, note=note,
                                    assignee=assignee, detail=detail))
    return inc


def expiry(incident: Incident, now: datetime, ttl_days: int) -> int | None:
    """Epoch seconds when a closed incident may be deleted; None while it is open."""
    if not incident.status.closed:
        return None
    return int((now + timedelta(days=ttl_days)).timestamp())


def allow_key(kind: str, key: str) -> str:
    """The folded allowlist key: "platform:handle" for accounts, a bare host name for domains."""
    if kind not in ALLOW_KINDS:
        raise ValueError(f"allowlist kind must be one of {', '.join(ALLOW_KINDS)}, not {kind!r}")
    key = (key or "").strip()
    if kind == "account":
        platform, sep, handle = key.partition(":")
        if not sep or not platform.strip() or not norm_handle(handle):
            raise ValueError(f"an account key is 'platform:handle', not {key!r}")
        if mixed_script(handle):
            raise ValueError(f"{key!r}: the handle mixes scripts (a homograph of another account)")
        return f"{platform.strip().lower()}:{norm_handle(handle)}"
    return allow_domain(key)


def allow_reason(reason: str | None) -> str:
    """An allowlist entry's reason as stored: masked like every free text a person writes."""
    return redact_free_text(reason) or ""


def subject_allow_keys(subject: Subject) -> set[tuple[str, str]]:
    """The allowlist entries that would cover this subject."""
    keys: set[tuple[str, str]] = set()
    platform = subject.platform.strip().lower()
    if subject.handle:
        keys.add(("account", f"{platform}:{norm_handle(subject.handle)}"))
    if subject.kind == "account":
        keys.add(("account", f"{platform}:{norm_handle(subject.id)}"))
    if subject.kind == "domain":
        try:
            domain = allow_key("domain", subject.id)
        except ValueError:
            return keys
        # An allowed domain covers its sub-domains too, down to the registrable domain: never a
        # public suffix (an entry for `co.uk` made before they were refused covers nothing).
        parts = domain.split(".")
        _, dom, suffix = split_host(domain)
        last = len(parts) - (suffix.count(".") + 2) if dom and suffix else len(parts) - 2
        keys.update(("domain", ".".join(parts[i:])) for i in range(last + 1))
    return keys


def subject_entry(subject: Subject) -> tuple[str, str] | None:
    """The allowlist entry that would name this subject (its domain, else its account), or None."""
    try:
        if subject.kind == "domain":
            return "domain", allow_key("domain", subject.id)
        handle = subject.handle or (subject.id if subject.kind == "account" else None)
        if not handle:
            return None  # a post without a known author: nothing lasting to allowlist
        return "account", allow_key("account", f"{subject.platform}:{handle}")
    except ValueError:
        return None


def is_watched(subject: Subject, watchlist: Watchlist) -> bool:
    """Whether the subject is one of the organisation's own or protected people's accounts (or a
    post by one): the watch over those is never suppressed by an allowlist entry."""
    if subject.kind not in ("account", "post"):
        return False
    names = {subject.handle} | ({subject.id} if subject.kind == "account" else set())
    return any(watchlist.is_own(subject.platform, n) for n in names if n)


def false_positive_entry(incident: Incident, watchlist: Watchlist | None) -> tuple[str, str] | None:
    """What marking `incident` a false positive adds to the allowlist, if anything.

    The incident itself stays `false_positive`, so the same finding (same detector, kind, subject
    and value) never alerts again. Beyond that, only a stranger's account or domain is allowlisted,
    so that its other posts stay quiet too: never the subject of a detector that watches the
    organisation's own accounts (a leak), nor an official or protected account (its next leak
    must still be seen).
    """
    from sentinelle.detectors import registry

    reader = registry().get(incident.detector)
    if reader is None or reader.audience != "strangers":
        return None
    if watchlist is not None and is_watched(incident.subject, watchlist):
        return None
    return subject_entry(incident.subject)


@dataclass(frozen=True)
class Allowlist:
    """Strangers' accounts and domains confirmed harmless, from the watchlist file and from triage
    (the store); the one decision on what an entry suppresses."""

    entries: frozenset[tuple[str, str]]
    watchlist: Watchlist

    @classmethod
    def build(cls, watchlist: Watchlist, stored: Iterable[Mapping[str, Any]] = ()) -> Allowlist:
        entries = {("account", allow_key("account", f"{a.platform}:{a.handle}")) for a in watchlist.allowlist.accounts}
        entries |= {("domain", allow_key("domain", d)) for d in watchlist.allowlist.domains}
        entries |= {(str(e["kind"]), str(e["key"])) for e in stored}
        return cls(frozenset(entries), watchlist)

    def covers(self, subject: Subject) -> bool:
        """Whether an entry names the subject (an allowed domain covers its sub-domains)."""
        return bool(self.entries and subject_allow_keys(subject) & self.entries)

    def suppresses(self, finding: Finding) -> bool:
        """A finding is dropped when an entry covers its subject, unless the subject is one of the
        organisation's own or protected accounts: their watch is never suppressed."""
        return self.covers(finding.subject) and not is_watched(finding.subject, self.watchlist)
