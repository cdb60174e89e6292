"""Alert texts a person on call can act on: e-mail, 160-character SMS, webhook JSON, and digests."""

from __future__ import annotations

import json
import os
import unicodedata
from collections import Counter
from datetime import datetime
from typing import Any, Iterable, Sequence

from sentinelle.model import Change, Incident, Severity

SMS_MAX = 160
MAX_EVIDENCE_CHARS = 300  # per value: enough to recognise it, short enough to read on a phone


def _redact(text: str) -> str:
    """The safety net: every piece of content (reasons, evidence, names, notes) passes here even
    though detectors already mask. Identifiers of the subject (handles, URLs) and timestamps do
    not: `user@instance` handles read as e-mail addresses, and the on-call person needs them."""
    from sentinelle.masking import redact  # late: loads the identifier recognizers

    return redact(text)


def _redact_deep(value: Any) -> Any:
    from sentinelle.masking import redact_deep

    return redact_deep(value)


CONTENT_FIELDS = ("reasons", "evidence", "history", "findings")


def _incident_json(incident: Incident, exclude: set[str]) -> dict[str, Any]:
    data = incident.model_dump(mode="json", exclude=exclude)
    for key in CONTENT_FIELDS:
        if key in data:
            data[key] = _redact_deep(data[key])
    if data.get("subject", {}).get("display_name"):
        data["subject"]["display_name"] = _redact(data["subject"]["display_name"])
    return data


def _change(change: Change | str) -> Change:
    return Change(getattr(change, "value", change))


def incident_url(incident: Incident) -> str | None:
    """The incident in the API, when SENTINELLE_API_URL says where the API is."""
    base = os.environ.get("SENTINELLE_API_URL", "").rstrip("/")
    return f"{base}/incidents/{incident.id}" if base else None


def who(incident: Incident, *, names: bool = True) -> str:
    """The account, post or domain in a few words: '@handle (Name) on x'."""
    s = incident.subject
    if s.kind == "domain":
        return f"the domain {s.id}"
    if not s.handle:
        return f"{s.kind} {s.id} on {s.platform}"
    name = f"@{s.handle.lstrip('@')}"
    if names and s.display_name and s.display_name != s.handle:
        name += f" ({_redact(s.display_name)})"
    return f"{'a post by ' if s.kind == 'post' else ''}{name} on {s.platform}"


def _when(value: datetime) -> str:
    # ISO with the T: a spaced date and time reads as a phone number to the masking safety net.
    return f"{value:%Y-%m-%dT%H:%MZ}"


def _headline(incident: Incident, change: Change) -> str:
    verb = change.value.capitalize()  # New, Escalated, Reopened
    return f"{verb} {incident.severity.value} {incident.detector} incident ({incident.kind})"


def _evidence_lines(evidence: dict[str, Any]) -> list[str]:
    lines = []
    for key, value in evidence.items():
        text = _redact(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))
        if len(text) > MAX_EVIDENCE_CHARS:
            text = text[: MAX_EVIDENCE_CHARS - 1] + "…"
        lines.append(f"  - {key}: {text}")
    return lines


def email(incident: Incident, change: Change | str) -> tuple[str, str]:
    """(subject, body) of the e-mail for a new, escalated or reopened incident."""
    from sentinelle.playbooks import playbook_for

    change = _change(change)
    pb = playbook_for(incident.detector, incident.kind)
    s = incident.subject
    subject = (f"[Sentinelle {incident.severity.value.upper()}] {_headline(incident, change).split(' ', 2)[0]} "
               f"{incident.detector}: {who(incident)} (score {incident.score})")
    lines = [
        f"{_headline(incident, change)}: {pb.title}.",
        "",
        f"What:      {pb.summary}",
        f"Who:       {who(incident)}",
    ]
    if s.url:
        lines.append(f"Link:      {s.url}")
    lines += [
        f"Severity:  {incident.severity.value} (score {incident.score}/100)",
        f"Seen:      first {_when(incident.first_seen)}, last {_when(incident.last_seen)}, {incident.occurrences} time(s)",
        f"Status:    {incident.status.value}",
    ]
    if change is Change.reopened and incident.history and incident.history[-1].note:
        lines.append(f"Reopened:  {incident.history[-1].note}: the takedown or the fix did not hold")
    lines += [
        "",
        "Why:",
        *(f"  - {_redact(r)}" for r in incident.reasons),
    ]
    if incident.evidence:
        lines += ["", "Evidence (sensitive values masked):", *_evidence_lines(incident.evidence)]
    lines += ["", f"Next step: {pb.owner}",
              "First steps:", *(f"  {i}. {step}" for i, step in enumerate(pb.first_steps(3), 1))]
    lines += ["", "Tell:", *(f"  - {t}" for t in pb.tell)]
    route = pb.report_route(s.platform)
    if route:
        lines += ["", f"Report to {route.platform} ({route.how}): {route.where}", f"  {route.detail}"]
    lines += ["", f"What to say to customers: {pb.customers}"]
    url = incident_url(incident)
    lines += ["", f"Incident: {url}" if url else f"Incident id: {incident.id}"]
    if url:
        lines.append(f"Incident id: {incident.id}")
    return subject, "\n".join(lines) + "\n"


def _fit(text: str, limit: int = SMS_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Characters outside the GSM 7-bit basic alphabet switch a whole SMS to UCS-2 (70 characters a
# segment, so a 160-character alert would cost three), and GSM's extension characters count
# double: keep SMS to ASCII letters and unextended punctuation.
_SMS_MAP = str.maketrans({"•": "*", "…": "...", "’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"',
                          "–": "-", "—": "-", "[": "(", "]": ")", "{": "(", "}": ")", "~": "-", "^": "-",
                          "\\": "/", "|": "/", "`": "'", "€": "EUR"})


_GSM_ASCII = frozenset(chr(c) for c in range(32, 127)) - set("[]{}~^\\|`")


def _gsm(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.translate(_SMS_MAP))
    return " ".join("".join(c for c in folded if c in _GSM_ASCII or c.isspace()).split())


def _fit_sms(text: str) -> str:
    text = _gsm(text)
    return text if len(text) <= SMS_MAX else text[: SMS_MAX - 3] + "..."


def sms(incident: Incident, change: Change | str) -> str:
    """One SMS segment (at most 160 GSM 7-bit characters), masked: severity, what, who, score,
    the first reason, the id."""
    change = _change(change)
    head = _gsm(f"Sentinelle {incident.severity.value.upper()} {change.value} "
                f"{incident.detector}: {who(incident, names=False)} ({incident.score}).")
    tail = f" id {incident.id[:12]}"
    reason = _gsm(_redact(incident.reasons[0])) if incident.reasons else ""
    room = SMS_MAX - len(head) - len(tail) - 1
    if room > 10 and reason:
        body = f"{head} {reason if len(reason) <= room else reason[: room - 3] + '...'}"
    else:
        body = head if len(head) <= SMS_MAX - len(tail) else head[: SMS_MAX - len(tail) - 3] + "..."
    return _fit_sms(body + tail)


def webhook_payload(incident: Incident, change: Change | str) -> dict[str, Any]:
    """JSON for chat incoming webhooks (`text`) and SOARs (the whole incident, masked)."""
    from sentinelle.playbooks import playbook_for

    change = _change(change)
    pb = playbook_for(incident.detector, incident.kind)
    url = incident_url(incident) or incident.subject.url
    text = f"*{_headline(incident, change)}*: {who(incident)}, score {incident.score}. " \
           f"{_redact(incident.reasons[0]) if incident.reasons else ''}"
    if url:
        text += f" <{url}>"
    route = pb.report_route(incident.subject.platform)
    return {
        "text": text,
        "source": "sentinelle",
        "change": change.value,
        "severity": incident.severity.value,
        "detector": incident.detector,
        "incident_url": incident_url(incident),
        "incident": _incident_json(incident, {"findings"}),
        "playbook": {"title": pb.title, "owner": pb.owner, "first_steps": pb.first_steps(3),
                     "report": route.model_dump() if route else None},
    }


# ------------------------------------------------------------------------------------ digests

def max_severity(incidents: Iterable[Incident]) -> Severity:
    return max((i.severity for i in incidents), key=lambda s: s.rank, default=Severity.info)


def _counts(incidents: Sequence[Incident]) -> str:
    by = Counter(i.severity.value for i in incidents)
    return ", ".join(f"{by[s.value]} {s.value}" for s in reversed(Severity) if by[s.value])


def digest_email(items: Sequence[tuple[Incident, Change | str]]) -> tuple[str, str]:
    """One e-mail listing a burst of alerts, most severe first, instead of a storm."""
    incidents = [i for i, _ in items]
    subject = f"[Sentinelle {max_severity(incidents).value.upper()}] Digest: {len(items)} incidents ({_counts(incidents)})"
    ordered = sorted(items, key=lambda ic: (-ic[0].severity.rank, -ic[0].score))
    lines = [f"{len(items)} new, escalated or reopened incidents arrived at once ({_counts(incidents)}).",
             "They are listed most severe first; each links to its details and playbook.", ""]
    for n, (inc, ch) in enumerate(ordered, 1):
        ch = _change(ch)
        lines.append(f"{n}. [{inc.severity.value}] {ch.value} {inc.detector}/{inc.kind}: {who(inc)}, score {inc.score}")
        if inc.reasons:
            lines.append(f"   {_redact(inc.reasons[0])}")
        lines.append(f"   {incident_url(inc) or inc.subject.url or 'id ' + inc.id}")
    return subject, "\n".join(lines) + "\n"


def digest_sms(items: Sequence[tuple[Incident, Change | str]]) -> str:
    incidents = [i for i, _ in items]
    dets = Counter(i.detector for i in incidents)
    text = (f"Sentinelle digest: {len(items)} incidents ({_counts(incidents)}); "
            + ", ".join(f"{n} {d}" for d, n in dets.most_common()) + ". Details by e-mail.")
    return _fit_sms(text)


def digest_payload(items: Sequence[tuple[Incident, Change | str]]) -> dict[str, Any]:
    subject, body = digest_email(items)
    return {
        "text": f"*{subject}*\n{body}",
        "source": "sentinelle",
        "digest": True,
        "severity": max_severity(i for i, _ in items).value,
        "incidents": [{"change": _change(c).value, "url": incident_url(i),
                       **_incident_json(i, {"findings", "history"})} for i, c in items],
    }


__all__ = ["email", "sms", "webhook_payload", "digest_email", "digest_sms", "digest_payload",
           "incident_url", "who", "max_severity", "SMS_MAX"]
