"""The `leaks` detector: personal data, health data and secrets in the organisation's own posts.

Finding kinds: the identifier kinds of `signals.identifiers.KINDS` (`credit_card`, `iban`,
`us_ssn`, `fr_nir`, `phone_number`, `email_address`, `date_of_birth`, `medical_record_number`,
`secret`), one finding per (kind, value) in a post; and `policy:<rule id>` for a policy rule that
fires on words, patterns or a person's name (the health and finance packs, and the watchlist's
`policies.rules`), one per (rule, matched term). Values are masked here, where they are found:
evidence holds `{"match": <masked value>, "context": <redacted snippet>}` and the dedup key is a
keyed hash of the normalised value, never the value.
"""

from __future__ import annotations

import re
from typing import Any

from sentinelle.detectors.base import Context, Detector, readable, register
from sentinelle.ports import Query
from sentinelle.masking import DOT, mask, redact
from sentinelle.model import Finding, Post, Profile, Severity, Subject, norm_handle
from sentinelle.policies import CompiledRule, PolicyIndex, fold
from sentinelle.signals.identifiers import POSSIBLE, REPORT, Match, find_sensitive, scan
from sentinelle.watchlist import Watchlist

# How bad each kind is when it is out in public, before context and policies raise it.
BASE_SEVERITY = {
    "credit_card": Severity.high,
    "iban": Severity.high,
    "us_ssn": Severity.critical,
    "fr_nir": Severity.critical,
    "medical_record_number": Severity.high,
    "secret": Severity.critical,
    "date_of_birth": Severity.medium,
    "phone_number": Severity.medium,
    "email_address": Severity.medium,
}
_ORDER = list(Severity)
_SNIPPET = 60  # characters of context on each side of a value in the evidence

# An organisation publishing its own bank details (donations, invoices) is not a leak.
_OWN_ACCOUNT_WORDS = re.compile(
    r"(?i)\b(?:our|notre|nos) (?:iban|rib|bank|compte|coordonnées bancaires)|\b(?:dons?|donations?|donate)\b")

# A person's name, where nothing but a name can stand: after a civil title (Mme Isabelle Morel,
# M. Dupont); after "patient(e)" in a sentence or a label ("our patient John Smith", "Patient:
# John Smith", "Patient John SMITH"), as exactly a first name and a surname. Capitalised words
# alone are headings and emphasis too often ("Patient Safety Week", "Journée SANTÉ").
_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
_CAP = rf"[{_UPPER}][{_LOWER}'-]+"
_SURNAME = rf"[{_UPPER}][{_UPPER}{_LOWER}'-]+"
_NAME = re.compile(
    rf"\b(?:[Pp]atiente?\s+)?(?:M\.|Mr\.?|Mrs\.?|Ms\.?|Mme|Mlle|Madame|Monsieur)\s+"
    rf"(?P<a>{_SURNAME}(?:\s+{_SURNAME}){{0,2}})"
    rf"|\b(?:patiente?|[Pp]atiente?\s*:)\s+(?P<b>{_CAP}\s+{_SURNAME})(?!\s+[{_UPPER}])"
    rf"|\b[Pp]atiente?\s+(?P<c>{_CAP}\s+[{_UPPER}]{{2,}}(?:-[{_UPPER}]{{2,}})?)\b")


def _utf8(text: str | None) -> str | None:
    """A lone surrogate (a broken emoji from a platform) would make the finding unserialisable."""
    return text.encode("utf-8", "replace").decode("utf-8") if text else text


def _lower(sev: Severity) -> Severity:
    return _ORDER[max(_ORDER.index(Severity.low), _ORDER.index(sev) - 1)]


def _max(a: Severity, b: Severity) -> Severity:
    return a if a >= b else b


def _mask_name(name: str) -> str:
    return " ".join(part[:1] + DOT * 3 for part in name.split())


def person_names(text: str, watchlist: Watchlist) -> list[tuple[int, int, str]]:
    """(start, end, name) of people's names in `text`, leaving out the watchlist's own people."""
    known = {fold(n) for p in watchlist.people for n in (p.name, *p.aliases)}
    known |= {fold(n) for b in watchlist.brands for n in b.names}
    out = []
    for m in _NAME.finditer(text):
        group = next(g for g in ("a", "b", "c") if m.group(g))
        name = m.group(group)
        if fold(name) not in known and not any(fold(name) in k for k in known):
            out.append((m.start(group), m.end(group), name))
    return out


class _Masked:
    """The post's text with every sensitive value (and, in health context, names) masked, so that
    evidence snippets can be cut from it without ever cutting a raw value in half."""

    def __init__(self, text: str, reported: list[Match], scanned: list[Match],
                 names: list[tuple[int, int, str]]):
        spans: list[tuple[int, int, str]] = [(m.start, m.end, mask(m.kind, m.value)) for m in reported]
        spans += [(s, e, _mask_name(n)) for s, e, n in names]
        spans += [(s, e, mask(k, text[s:e])) for s, e, k in find_sensitive(text, scanned)]
        parts, self.where, pos = [], {}, 0
        out_len = 0
        for s, e, masked in sorted(spans, key=lambda x: (x[0], -(x[1] - x[0]))):
            if s < pos:
                continue
            parts.append(text[pos:s])
            out_len += s - pos
            self.where[(s, e)] = (out_len, out_len + len(masked))
            parts.append(masked)
            out_len += len(masked)
            pos = e
        parts.append(text[pos:])
        self.text = "".join(parts)
        self._source = text

    def _pos(self, offset: int) -> int:
        """Where an offset of the original text lands in the masked text."""
        shift = 0
        for (s, e), (ms, me) in self.where.items():
            if e <= offset:
                shift = me - e
            elif s <= offset:
                return ms
        return offset + shift

    def snippet(self, start: int, end: int) -> str:
        ms, me = self.where.get((start, end)) or (self._pos(start), self._pos(end))
        a, b = max(0, ms - _SNIPPET), min(len(self.text), me + _SNIPPET)
        # Cut at spaces so that the snippet does not start or end inside a word.
        if a > 0:
            sp = self.text.find(" ", a, ms)
            a = sp + 1 if sp != -1 else a
        if b < len(self.text):
            sp = self.text.rfind(" ", me, b)
            b = sp if sp != -1 else b
        snip = " ".join(self.text[a:b].split())
        return _utf8(("…" if a > 0 else "") + snip + ("…" if b < len(self.text) else "")) or ""


def _posters(wl: Watchlist) -> dict[tuple[str, str], str]:
    """Whose account posted it, as a reason, per (platform, folded handle) of the watchlist."""
    who: dict[tuple[str, str], str] = {}
    for person in wl.people:
        for a in person.accounts:
            who.setdefault(a.key, f"posted by {person.name}'s own account" + (f" ({person.role})" if person.role else ""))
    for a in wl.official_accounts:
        who[a.key] = "posted by an official account"
    return who


@register
class Leaks(Detector):
    """Personal data, health data and secrets posted by the organisation's own accounts."""

    name = "leaks"
    description = "Personal data, health data and secrets in posts by official accounts and protected people"
    reads = "posts"
    audience = "own"
    every = "15m"
    masks_itself = True  # every value is masked where it is found (see _Masked)

    def plan(self, watchlist: Watchlist) -> list[Query]:
        refs = [*watchlist.official_accounts, *(a for p in watchlist.people for a in p.accounts)]
        seen, out = set(), []
        for ref in refs:
            if ref.key not in seen:
                seen.add(ref.key)
                out.append(Query(kind="account_posts", value=ref.handle, platform=ref.platform))
        return out

    def detect(self, item: Post | Profile, ctx: Context) -> list[Finding]:
        if not isinstance(item, Post):
            return []
        # Links the platform gave apart from the text can carry credentials (webhooks, user:pass@).
        view = readable(item, ctx)  # the text, then the pictures' alt text and OCR text
        text = "\n".join([view.text, *(u for u in item.links if u and u not in item.text)]).strip()
        if not text:
            return []
        wl = ctx.watchlist
        policies: PolicyIndex = ctx.memo("leaks.policies", PolicyIndex.of)
        handle = item.author.handle if item.author else None
        who = ctx.memo("leaks.who", _posters).get((str(item.platform).lower(), norm_handle(handle)),
                                                  "found in a post by an account outside the watchlist")

        scanned = scan(text, minimum=0, regions=wl.regions)
        matches = [m for m in scanned if m.score >= REPORT and self._is_leak(m, wl)]
        folded = fold(text)
        fired: list[tuple[CompiledRule, str]] = []  # (rule, context word or "")
        for rule in policies.relevant(folded):
            word = rule.context_word(folded)
            if word is not None:
                fired.append((rule, word))
        names: list[tuple[int, int, str]] = []
        if any(r.rule.names for r, _ in fired):
            names = person_names(text, wl)
        masked = _Masked(text, matches, scanned, names)

        subject = Subject(platform=item.platform, kind="post", id=item.id, url=item.url, handle=_utf8(handle),
                          display_name=_utf8(item.author.display_name if item.author else None))
        findings: list[Finding] = []
        seen: set[tuple[str, str]] = set()
        for m in matches:
            key = (m.kind, m.normalized)
            if key in seen:
                continue
            seen.add(key)
            severity = BASE_SEVERITY[m.kind]
            if m.kind == "secret" and m.subtype == "credential":
                severity = Severity.high  # a keyword and randomness, not a provider's format
            if m.score < POSSIBLE:
                severity = Severity.low  # a possible value: recorded for review, pages no one
            elif m.score < 60:
                severity = _lower(severity)
            if m.kind == "email_address" and m.context != "personal":
                severity = Severity.low  # an address with nothing saying whose it is
            reasons = [*m.reasons]
            own_account = m.kind == "iban" and _OWN_ACCOUNT_WORDS.search(text)
            if own_account:
                severity = Severity.low
                reasons.append("presented as the organisation's own account")
            for rule, word in fired:
                if m.kind in rule.rule.kinds and not own_account:
                    severity = _max(severity, rule.rule.severity)
                    reasons.append(self._policy_reason(rule, word))
            reasons.append(who)
            findings.append(view.annotate(self._finding(ctx, item, subject, m.kind, severity, m.score, reasons,
                                                     mask(m.kind, m.value), masked.snippet(m.start, m.end),
                                                     m.kind + ":" + m.normalized), m.start))

        for rule, word in fired:
            hit = self._policy_hit(rule, text, folded, names)
            if hit is None:
                continue
            value, shown, start, end, why = hit
            key = (rule.kind, value)
            if key in seen:
                continue
            seen.add(key)
            reasons = [why, self._policy_reason(rule, word), who]
            evidence_extra = {"policy": {"id": rule.rule.id, "pack": rule.pack, "version": rule.version,
                                         "description": rule.rule.description}}
            snippet = masked.snippet(start, end)
            findings.append(view.annotate(self._finding(ctx, item, subject, rule.kind, rule.rule.severity, 90,
                                                        reasons, shown, snippet, rule.kind + ":" + value,
                                                        evidence_extra), start))
        return findings

    # -----------------------------------------------------------------------------------------

    @staticmethod
    def _is_leak(m: Match, wl: Watchlist) -> bool:
        """Phones and e-mail addresses are leaks only when they are someone's, not the organisation's."""
        if m.kind == "phone_number":
            return m.context == "personal"
        if m.kind == "email_address":
            domain = m.subtype
            if any(domain == d or domain.endswith("." + d) for d in wl.official_domains):
                return m.context == "personal"  # on its own domains only personal words make it someone's
            return m.context != "organisation"  # someone else's address: recorded, alerts if personal
        return True

    @staticmethod
    def _policy_reason(rule: CompiledRule, word: str) -> str:
        src = f"{rule.pack} policy v{rule.version}" if rule.pack else "organisation rule"
        why = f"{src} {rule.rule.id}: {rule.rule.description}"
        return why + (f" (context “{word}”)" if word else "")

    @staticmethod
    def _policy_hit(rule: CompiledRule, text: str, folded: str,
                    names: list[tuple[int, int, str]]) -> tuple[str, str, int, int, str] | None:
        """(dedup value, evidence shown, start, end, reason) for a rule firing on words, a pattern or
        a name; None when the rule only escalates identifiers (`kinds`) or does not fire."""
        term = rule.term(folded)
        if term:
            idx = folded.find(term)
            start = idx if idx >= 0 and len(folded) == len(text) else 0
            return term, term, start, start + len(term), f"policy term “{term}”"
        pm = rule.pattern(text)
        if pm:
            return pm.group().casefold(), redact(pm.group()), pm.start(), pm.end(), "policy pattern matched"
        if rule.rule.names and names:
            s, e, name = names[0]
            return "name:" + fold(name), _mask_name(name), s, e, "a person's name next to the context"
        return None

    @staticmethod
    def _finding(ctx: Context, item: Post, subject: Subject, kind: str, severity: Severity, score: int,
                 reasons: list[str], shown: str, snippet: str, dedup_value: str,
                 extra: dict[str, Any] | None = None) -> Finding:
        return Finding(
            detector="leaks", kind=kind, severity=severity, score=max(0, min(100, score)), reasons=reasons,
            evidence={"match": shown, "context": snippet, **(extra or {})}, subject=subject,
            dedup=ctx.keyed_hash(dedup_value), item_id=item.id, item_url=item.url, observed_at=ctx.now)
