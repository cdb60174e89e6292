"""The `scams` detector: strangers using the brand to push fake offers, support, refunds and links."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import ahocorasick

from sentinelle.detectors.base import Context, Detector, readable, register
from sentinelle.ports import Enrichers, Query
from sentinelle.model import Finding, Post, Profile, Severity, Subject, norm_handle
from sentinelle.signals.domains import LookalikeIndex
from sentinelle.signals.scam_lexicon import COMMON_WORD_BRANDS, LURE_FAMILIES, PHRASES, SIGNALS, LureFamily
from sentinelle.signals.scam_patterns import (
    DISCOUNT_RE, DOUBLING_RE, RATE_PROMISE_RE, crypto_addresses, is_premium_rate, mask_cards, phone_numbers,
    short_codes,
)
from sentinelle.text.brands import BrandMatch, BrandMatcher, PhraseMatcher
from sentinelle.text.normalize import prepare
from sentinelle.text.urls import extract_urls, host_of, is_risky_host, is_shortener, registrable_domain, repair_links
from sentinelle.watchlist import Watchlist

KIND = "brand_scam"
REPORT_FROM = 25  # below this score a brand mention is just a mention: no finding at all
WEAK_TIE_CAP = 45  # the highest score of a post tied to a brand by a weak lookalike link only
MAX_FOLLOWED = 3  # links followed per post in online mode (each may take seconds)
MESSAGING_HOSTS = frozenset({"t.me", "telegram.me", "wa.me", "api.whatsapp.com", "chat.whatsapp.com",
                             "whatsapp.com", "viber.me", "m.me"})
# Signals that only count together with another (see `_score`).
_MODIFIERS = frozenset({"request", "contact_combo", "link_combo", "risky_link"})
_DATA_ASKS = ("payment_data", "personal_data", "voucher")
_OFFERS = ("offer", "prize", "support_claim", "lure", "investment", "recovery")
_ROUTES = ("phone", "messaging", "private_message", "reply_route", "link_mention")
_OFF_BRAND_LINKS = ("lookalike_link", "weak_lookalike", "shortener", "foreign_link")
# Families that only a service's customer receives: they show that a common-word brand
# ("Orange", "Free") is meant as the firm. Prizes and crypto come from anyone.
_SERVICE_FAMILIES = frozenset({"delivery_fee", "tax_fine_toll", "health_insurance", "account_locked", "unpaid_bill",
                               "benefit_claim"})
_FAMILY = {f.name: f for f in LURE_FAMILIES}
# Cheap tests that spare the costlier extractors most posts.
_URLISH_RE = re.compile(r"://|www\.|[a-z0-9-]\.[a-z]{2,}", re.IGNORECASE)
_HAS_DIGIT_RUN_RE = re.compile(r"\d[\d \t.\-/()]{6,}\d")
# A code handed to the reader ("your OTP is 5532", "code de vérification : 482913"): a genuine
# one-time-password message gives a code, a scam asks for one.
_CODE_GIVEN_RE = re.compile(
    r"\b(?:code|otp|passcode|pin|password|mot de passe)\b[^.!?\n]{0,25}?(?:\bis\b|\best\b|:|=)\s*[a-z0-9-]{4,10}\b")
_CODE_WORDS = frozenset({"otp", "verification code", "confirmation code", "one time code", "one time password",
                         "passcode", "security code", "code de verification", "code de confirmation", "code pin",
                         "pin code", "code recu par sms"})


@cache
def _lexicon() -> PhraseMatcher:
    """The signal phrases do not depend on the watchlist: one automaton per process. A lure
    family's phrases are in it too, as ("topic" | "cue" | "plain", family name) payloads."""
    # Two-letter words ("dm", "mp") are signals too: strict word boundaries keep them exact.
    phrases: list[tuple[str, Any]] = [(phrase, name) for name, words in PHRASES.items() for phrase in words]
    for fam in LURE_FAMILIES:
        for part, words in (("topic", fam.topics), ("cue", fam.cues), ("plain", fam.plain)):
            phrases += [(w, (part, fam.name)) for w in words]
    return PhraseMatcher(phrases, strict=True, min_key=2, plurals=True)


def _families(found: list[tuple[Any, str, int]]) -> dict[str, list[str]]:
    """The lure families seen (a topic and a cue of each, or a plain phrase), with their words,
    the family with the most phrases first."""
    parts: dict[str, dict[str, list[tuple[str, int]]]] = {}
    for (part, fam), words, at in found:
        parts.setdefault(fam, {}).setdefault(part, []).append((words, at))
    out: dict[str, list[str]] = {}
    for fam, seen in parts.items():
        if "plain" in seen:
            out[fam] = [seen["plain"][0][0]]
            continue
        for topic, t_at in seen.get("topic", ()):
            # A cue that is not the topic's own words ("payment" both topic and cue counts once).
            cue = next((w for w, c_at in seen.get("cue", ()) if c_at != t_at and w not in topic), None)
            if cue:
                out[fam] = [topic, cue]
                break
    size = {fam: len({w for ws in seen.values() for w, _ in ws}) for fam, seen in parts.items()}
    return dict(sorted(out.items(), key=lambda kv: -size[kv[0]]))


@dataclass
class Assessment:
    """Everything the detector saw in one post, before it is turned into a finding."""

    score: int
    severity: Severity
    reasons: list[str]  # empty (and evidence too) below REPORT_FROM, where nothing is reported
    hits: dict[str, list[str]]  # signal name -> matched words (masked)
    brands: list[BrandMatch]
    evidence: dict[str, Any] = field(default_factory=dict)


class ScamRules:
    """The detector's compiled state for one watchlist: brand matcher, phrase automaton, domains."""

    def __init__(self, watchlist: Watchlist, brands: BrandMatcher | None = None,
                 domains: LookalikeIndex | None = None):
        self.watchlist = watchlist
        self.brands = brands or BrandMatcher(watchlist)
        self.phrases = _lexicon()
        self.prepare = prepare  # replaceable, for the benchmark's regex baseline
        self.domains = domains or LookalikeIndex.from_watchlist(watchlist)
        self.allowed = frozenset(registrable_domain(d) for d in watchlist.allowlist.domains)
        self._authors: dict[tuple[str, str], list[BrandMatch]] = {}
        # (platform, folded handle) of official and protected people's accounts (the allowlist is
        # applied once, by `incidents.Allowlist`, to every detector's findings).
        self.never_reported = watchlist.own_accounts

    @classmethod
    def cached(cls, ctx: Context) -> "ScamRules":
        # The brand matcher and the lookalike index are the ones the impersonation detector uses.
        return ctx.memo("scams.rules", lambda wl: cls(wl, BrandMatcher.cached(ctx), LookalikeIndex.cached(ctx)))

    def assess(self, post: Post, require_brand: bool = True, enrichers: Any = None) -> Assessment | None:
        """Score one post; None when it does not mention a brand (unless `require_brand` is off).
        With `enrichers` (online mode), links that are not the brand's are followed to their page."""
        text = post.text or ""
        tags = ""
        if post.hashtags:  # the platform's hashtags, when the text does not already show them
            lowered = text.casefold()
            tags = " ".join(f"#{t.lstrip('#')}" for t in post.hashtags
                            if t and f"#{t.lstrip('#')}".casefold() not in lowered)
        p = self.prepare(f"{text} {tags}" if tags else text)
        brands = self.brands.find(p)
        author = post.author
        author_brands = self._author_brands(author.display_name, author.handle) if author else []

        hits: dict[str, list[str]] = {}
        links = self._links(post, text, hits, enrichers)
        lookalikes = [lk for lk in links if lk["status"] == "lookalike"]
        family_parts = []
        for name, words, at in self.phrases.find(p):
            if isinstance(name, tuple):
                family_parts.append((name, words, at))
                continue
            found = hits.setdefault(name, [])
            if words not in found:
                found.append(words)
        families = _families(family_parts) if family_parts else {}
        if brands and "messaging" in hits:
            # WhatsApp or Telegram named as the way to talk: a route, not the brand abused.
            routes = {w.replace(" ", "") for w in hits["messaging"]}
            brands = [b for b in brands if b.text.replace(" ", "") not in routes]
        if not brands and families and not author_brands:
            brands = self._brands_in_words(p.words)
        if require_brand and not (brands or author_brands or lookalikes or "brand_link" in hits):
            return None
        if brands and not (brands := self._meant(brands, text, families, hits)) and require_brand and not (
                author_brands or lookalikes or "brand_link" in hits):
            return None  # only ordinary words that are also brand names ("100 Free Spins")
        if author_brands:
            hits["brand_account"] = [author_brands[0].text]
        family = _main_family(families)
        if family:
            hits["lure_family"] = families[family.name]
            second = next((f for f in families if f != family.name and f in _SERVICE_FAMILIES), None)
            if second and family.name in _SERVICE_FAMILIES:
                hits["second_lure"] = [f"{second}: " + " / ".join(families[second])]
        if "payment_data" in hits and "reply_route" not in hits and set(hits["payment_data"]) <= _CODE_WORDS \
                and _CODE_GIVEN_RE.search(p.folded):
            hits.pop("payment_data")  # a one-time code given, not asked for
        if "alert_claim" in hits and "warning" in hits:
            # "Fraud Alert", "fraudulent transactions": the lure's costume, not a warning about scams.
            costume = " ".join(hits["alert_claim"])
            hits["warning"] = [w for w in hits["warning"] if w not in costume]
            if not hits["warning"]:
                hits.pop("warning")
        if "support_claim" in hits:
            hits.pop("support_mention", None)  # the claim's own words, not a second signal
        if "reassurance" in hits or "recovery" in hits:
            # "Not a scam" is the scammer's line, and recovery scams pose as warnings.
            hits.pop("warning", None)
        folded = p.folded
        # Cheap tests spare most posts these scans: no "%" no discount or rate, no verb no doubling.
        if "%" in folded:
            for d in DISCOUNT_RE.findall(folded):
                hits.setdefault("offer", []).insert(0, d)
        for rx, needed in ((DOUBLING_RE, "request" in hits), (RATE_PROMISE_RE, "%" in folded)):
            m = rx.search(folded) if needed else None
            if m:
                hits.setdefault("investment", []).insert(0, m.group(0))
        phones: list[str] = []
        if _HAS_DIGIT_RUN_RE.search(text):
            phones = phone_numbers(text, post.lang, self.watchlist.regions)
        codes = short_codes(folded) if "to " in folded or " au " in folded else []
        if phones or codes:
            hits["phone"] = phones + [f"short code {c}" for c in codes]
            premium = [n for n in phones if is_premium_rate(n)]
            if premium or codes:
                hits["premium_rate"] = premium + [f"short code {c}" for c in codes]
        crypto = crypto_addresses(text)
        if crypto:
            hits["crypto_address"] = crypto

        score, parts = _score(hits, family)
        weak_tie = "weak_lookalike" in hits and not (
            brands or author_brands or "lookalike_link" in hits or "brand_link" in hits)
        if weak_tie and score > WEAK_TIE_CAP:
            # The only tie to a brand is a weak likeness ("mintmobile.com" for T-Mobile): whatever the
            # words say, it is no brand's scam that anyone should be woken for.
            score = WEAK_TIE_CAP
        severity, escalation = _severity(score, hits, parts)
        if score < REPORT_FROM:  # nothing will be reported: spare the explanation
            return Assessment(score, severity, [], hits, brands)

        reasons = [b.reason for b in brands[:3]]
        if not brands and author_brands:
            reasons.append(f"posted by an account named after the brand {author_brands[0].brand}")
        if not brands and lookalikes:
            reasons.append(f"links to a lookalike of {lookalikes[0].get('target') or 'the brand'}")
        reasons += _reasons(hits, parts, family)
        raised = f"; severity raised to {severity.value}: {escalation}" if escalation else ""
        reasons.append(f"score {score}/100{raised}")
        evidence = {
            "brand": (brands or author_brands)[0].brand if (brands or author_brands) else
            (lookalikes[0].get("brand") if lookalikes else None),
            "brand_matches": [{"term": b.term, "field": b.field, "how": b.how, "text": b.text} for b in brands],
            "signals": {n: {"weight": parts[n], "matched": hits[n][:5]} for n in parts},
            "scam_type": family.name if family else _scam_type(hits),
            "phones": phones,
            "links": links,
            "crypto_addresses": crypto,
            "excerpt": mask_cards(text[:400]),
        }
        return Assessment(score, severity, reasons, hits, brands, evidence)

    def _brands_in_words(self, words: list[str]) -> list[BrandMatch]:
        """Brand names misspelt or glued to other words ("Netflx", "infoAmazon", "PrepaidBankofAmerica"),
        read as domain labels by the lookalike index: only for posts that already carry a lure."""
        for word in words:
            token = word.lstrip("0123456789")
            if len(token) < 5 or not token.isalnum() or token in COMMON_WORD_BRANDS:
                continue
            verdict = self.domains.check(f"{token}.invalid")
            if verdict.is_lookalike and verdict.strong and verdict.brand and verdict.kind != "tld-swap":
                return [BrandMatch(verdict.brand, verdict.brand, "name", "leetspeak", token)]
        return []

    def _meant(self, brands: list[BrandMatch], text: str, families: dict[str, list[str]],
               hits: dict[str, list[str]]) -> list[BrandMatch]:
        """`brands` less the mentions of a brand whose name is an ordinary word ("Free", "Orange")
        with nothing to show the brand is meant: its hashtag, a customer's lure about a service
        (a bill, an account, a parcel), the name in a link, the name in capitals in a text that is
        not, or the name opening the message as its sender ("ORANGE:", "Orange Votre facture")."""
        common = [b for b in brands if b.field != "hashtag" and b.how != "hashtag"
                  and b.text in COMMON_WORD_BRANDS]
        if not common:
            return brands
        if not _SERVICE_FAMILIES.isdisjoint(families) or "brand_link" in hits:
            return brands
        kept = [b for b in brands if b not in common]
        for b in common:
            if _sender_or_capitals(text, b.text):
                kept.append(b)
        return kept

    def _author_brands(self, display_name: str | None, handle: str | None) -> list[BrandMatch]:
        # Accounts post many times: remember what their names hold (bounded, per watchlist).
        key = (display_name or "", handle or "")
        found = self._authors.get(key)
        if found is None:
            if len(self._authors) >= 50_000:
                self._authors.clear()
            # Handles glue words: "Chase_Banking_Alert", "WellsFargoVerify" are read word by word,
            # then as a domain label would be ("wellsfargoverify" holds "wellsfargo").
            spaced = _CAMEL_RE.sub(" ", key[1]).replace("_", " ").replace("-", " ").replace(".", " ")
            found = [b for b in self.brands.find(f"{key[0]} {spaced}") if b.text not in COMMON_WORD_BRANDS]
            if not found and len(key[1]) >= 5:
                found = self._brands_in_words(["".join(ch for ch in key[1].casefold() if ch.isalnum())])
            self._authors[key] = found
        return found

    def _links(self, post: Post, text: str, hits: dict[str, list[str]], enrichers: Any = None) -> list[dict[str, Any]]:
        urls = list(post.links)
        if _URLISH_RE.search(text) or "//" in text:
            urls += [u for u in extract_urls(repair_links(text)) if u not in urls]
        out, followed = [], 0
        for url in urls[:20]:
            host = host_of(url)
            if not host:
                continue
            if host in MESSAGING_HOSTS or host.removeprefix("www.") in MESSAGING_HOSTS:
                hits.setdefault("messaging", []).append(host)
                # Who to write to (t.me/handle, wa.me/<number>): the contact a campaign shares.
                out.append({"url": mask_cards(url), "domain": host.removeprefix("www."), "status": "messaging"})
                continue
            verdict = self.domains.check(url)
            entry: dict[str, Any] = {"url": mask_cards(url), "domain": verdict.domain, "status": verdict.status}
            if verdict.is_official or verdict.domain in self.allowed:
                entry["status"] = "official"
                hits.setdefault("official_link", []).append(verdict.domain)
            elif verdict.is_lookalike:
                entry.update(reason=verdict.reason, target=verdict.target, brand=verdict.brand, strong=verdict.strong)
                hits.setdefault("lookalike_link" if verdict.strong else "weak_lookalike", []).append(verdict.domain)
            elif is_shortener(host):
                entry["status"] = "shortener"
                hits.setdefault("shortener", []).append(host)
            else:
                hits.setdefault("foreign_link", []).append(verdict.domain)
            if entry["status"] in ("unrelated", "lookalike") and is_risky_host(host):
                hits.setdefault("risky_link", []).append(verdict.domain or host)
            if entry["status"] != "official" and (named := self._named_in(url)):
                entry["names"] = named  # "bit.ly/Orange-Facture": the brand's name on a link not its own
                if not verdict.is_lookalike:
                    hits.setdefault("brand_link", []).append(mask_cards(url))
            if enrichers is not None and entry["status"] != "official" and followed < MAX_FOLLOWED:
                followed += 1
                self._follow(url, entry, hits, enrichers)
            out.append(entry)
        return out

    def _named_in(self, url: str) -> str | None:
        """The brand whose name (five letters or more) a link's path carries ("bit.ly/Orange-Facture");
        its host is the lookalike index's business."""
        path = url.split("://", 1)[-1].partition("/")[2]
        flat = "".join(ch for ch in path.casefold() if ch.isalnum())
        if not flat:
            return None
        names, automaton = self._link_names, self._link_automaton
        if not len(automaton):
            return None
        # The first name of the list (longest first) that the path holds: the names found in one
        # pass over the path (Aho-Corasick), not a test of each brand's names in turn.
        first = min((i for _, i in automaton.iter(flat)), default=None)
        return None if first is None else names[first][1]

    def _named_in_exhaustive(self, url: str) -> str | None:
        """`_named_in` testing every brand's names in turn: the reference the automaton is tested against."""
        path = url.split("://", 1)[-1].partition("/")[2]
        flat = "".join(ch for ch in path.casefold() if ch.isalnum())
        if not flat:
            return None
        return next((brand for key, brand in self._link_names if key in flat), None)

    @property
    def _link_automaton(self) -> ahocorasick.Automaton:
        automaton = self.__dict__.get("_link_automaton_")
        if automaton is None:
            automaton = ahocorasick.Automaton()
            for i, (key, _) in enumerate(self._link_names):
                if key not in automaton:  # a name two brands share: the first in the list answers
                    automaton.add_word(key, i)
            if len(automaton):
                automaton.make_automaton()
            self.__dict__["_link_automaton_"] = automaton
        return automaton

    @property
    def _link_names(self) -> list[tuple[str, str]]:
        names = self.__dict__.get("_link_names_")
        if names is None:
            names = sorted({("".join(ch for ch in n.casefold() if ch.isalnum()), b.name)
                            for b in self.watchlist.brands for n in (*b.names, *b.hashtags)
                            if len("".join(ch for ch in n if ch.isalnum())) >= 5
                            and n.casefold() not in COMMON_WORD_BRANDS}, key=lambda kb: -len(kb[0]))
            self.__dict__["_link_names_"] = names
        return names

    def _follow(self, url: str, entry: dict[str, Any], hits: dict[str, list[str]], enrichers: Enrichers) -> None:
        """Online: where a link really leads (short links expanded) and whether it asks for a password."""
        try:
            report = enrichers.link_report(url)
        except Exception:  # an enricher failure is "couldn't check", never a crashed run
            entry["landing"] = {"error": "could not be checked"}
            return
        final = report.final_url
        entry["landing"] = report.as_evidence()
        if final and host_of(final) != host_of(url):
            landed = self.domains.check(final)
            if landed.is_lookalike and "lookalike_link" not in hits:
                hits["lookalike_link"] = [landed.domain]
                entry.update(reason=f"leads to {landed.reason}", target=landed.target, brand=landed.brand)
        if report.credential_form:
            hits.setdefault("credential_page", []).append(host_of(final or url))


def _main_family(families: dict[str, list[str]]) -> LureFamily | None:
    """The family that names the scam: the one with the most phrases (`_families` sorts them)."""
    return _FAMILY[next(iter(families))] if families else None


_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_CAPS_WORD_RE = re.compile(r"[A-ZÀ-Ý][A-ZÀ-Ý&.\-]+")


def _sender_or_capitals(text: str, folded_name: str) -> bool:
    """Whether an ordinary-word brand name is written as a name: in capitals in a text mostly in
    lower case, or opening the text as its sender ("Orange:", "[FREE]", "Orange Votre ...")."""
    words = folded_name.split()
    head = re.match(r"\W*(\w+(?:[ .\-]\w+)?)\W*", text)
    if head and head.group(1).casefold().replace(".", " ").replace("-", " ").split()[:len(words)] == words:
        after = text[head.end():head.end() + 1]
        tail = text[head.end(1):head.end()]
        if ":" in tail or "]" in tail or ")" in tail or after.isupper():
            return True
    letters = [c for c in text if c.isalpha()]
    if sum(c.isupper() for c in letters) > 0.5 * max(1, len(letters)):
        return False  # a text in capitals: capitals say nothing
    return any(m.group(0).casefold().replace(".", "") == folded_name.replace(" ", "")
               for m in _CAPS_WORD_RE.finditer(text))


def _score(hits: dict[str, list[str]], family: LureFamily | None = None) -> tuple[int, dict[str, int]]:
    """The score and each signal's part in it; modifiers count only beside what they modify."""
    parts = {n: SIGNALS[n].weight for n in hits if n not in _MODIFIERS}
    if family is not None:
        if family.name == "prize_survey":
            parts.pop("prize", None)  # the family stands in for the prize signal: its weight, not both
        parts["lure_family"] = family.weight
    if "warning" in parts:
        # One warning word may be incidental; a post that warns in several phrases is a warning.
        parts["warning"] = max(-100, parts["warning"] - 20 * (len(hits["warning"]) - 1))
    seen = hits.keys()
    off_brand = not seen.isdisjoint(_OFF_BRAND_LINKS)
    if "request" in hits and (off_brand or not seen.isdisjoint(_DATA_ASKS + _ROUTES)):
        parts["request"] = SIGNALS["request"].weight
    # A customer's lure (a parcel, a bill, an account) counts as bait; crypto talk and prizes
    # count through their own signals.
    lure = not seen.isdisjoint(_OFFERS) or (family is not None and family.weight >= 20)
    if lure and not seen.isdisjoint(_ROUTES):
        hits["contact_combo"] = []
        parts["contact_combo"] = SIGNALS["contact_combo"].weight
    if lure and off_brand:
        hits["link_combo"] = []
        parts["link_combo"] = SIGNALS["link_combo"].weight
        if "risky_link" in hits:  # a cheap suffix is common in crypto talk: it counts beside a lure only
            parts["risky_link"] = SIGNALS["risky_link"].weight
    if "official_link" in parts and not seen.isdisjoint(("lookalike_link", "shortener")):
        parts.pop("official_link")  # a real link beside a fake one is camouflage, not reassurance
    return max(0, min(100, sum(parts.values()))), parts


_ROUTES_OFF_PLATFORM = ("phone", "messaging", "lookalike_link", "shortener", "foreign_link")


def _severity(score: int, hits: dict[str, list[str]], parts: dict[str, int]) -> tuple[Severity, str]:
    """Severity from the score, raised for harm: money or payment data asked (high), payment data
    or codes asked with a way off the platform (critical). Returns why it was raised, if it was."""
    severity = Severity.from_score(score)
    if score < 50 or not any(SIGNALS[n].harm for n in parts if parts[n] > 0):
        return severity, ""
    if "payment_data" in parts and score >= 70 and any(n in hits for n in _ROUTES_OFF_PLATFORM):
        wanted, why = Severity.critical, "payment data or codes asked, with a route off the platform"
    else:
        wanted, why = Severity.high, "the victim is asked for money or payment data"
    return (wanted, why) if wanted > severity else (severity, "")


def _reasons(hits: dict[str, list[str]], parts: dict[str, int], family: LureFamily | None = None) -> list[str]:
    raising, lowering = [], []
    for name, weight in sorted(parts.items(), key=lambda kv: -abs(kv[1])):
        words = ", ".join(f"“{w}”" for w in hits.get(name, [])[:3])
        what = f"{SIGNALS[name].reason} ({family.name}: {family.reason})" if name == "lure_family" and family else \
            SIGNALS[name].reason
        line = what + (f": {words}" if words else "") + f" (+{weight})"
        if weight < 0:
            lowering.append(f"lowered: {SIGNALS[name].reason}" + (f": {words}" if words else "") + f" ({weight})")
        else:
            raising.append(line)
    return raising + lowering


def _scam_type(hits: dict[str, list[str]]) -> str:
    for signal, kind in (("lookalike_link", "phishing"), ("weak_lookalike", "phishing"),
                         ("payment_data", "payment_data_request"),
                         ("voucher", "voucher_payment"), ("investment", "investment"),
                         ("crypto_address", "investment"), ("support_claim", "fake_support"),
                         ("lure", "fake_refund_or_delivery"), ("prize", "fake_giveaway"),
                         ("offer", "fake_coupon")):
        if signal in hits:
            return kind
    return "other"


def _account_url(post: Post) -> str | None:
    """The author's profile address, read off the post's address where its shape is known."""
    if not post.url or not post.author or not post.author.handle:
        return None
    url = post.url
    for marker in ("/status/", "/statuses/", "/post/", "/posts/", "/comments/"):
        if marker in url:
            return url.split(marker)[0]
    head, _, last = url.rstrip("/").rpartition("/")
    return head if last == post.id and "@" in head.rsplit("/", 1)[-1] else None


@register
class ScamsDetector(Detector):
    """Brand scams by strangers: fake coupons and giveaways, fake support and refunds, phishing
    links, voucher or crypto payment, all scored from explained signals.

    A post is read only if it names a brand (name, alias or hashtag, however disguised), comes from
    an account named after one, or links to a lookalike of a brand domain. Each signal of
    `signals.scam_lexicon.SIGNALS` found adds its weight once (warnings, news and the brand's own
    links subtract); the sum, clipped to 0-100, is the score. Severity follows the score and is
    raised for harm: money or payment data asked → high; payment data or codes asked with a route
    off the platform → critical. One incident per scamming account (subject = the author).
    """

    name = "scams"
    description = "Strangers using the brand to push fake offers, fake support and phishing"
    reads = "posts"
    audience = "strangers"
    every = "15m"

    def plan(self, watchlist: Watchlist) -> list[Query]:
        queries: dict[str, Query] = {}
        for b in watchlist.brands:
            for tag in b.hashtags:
                q = Query(kind="hashtag", value=tag)
                queries.setdefault(q.key.casefold(), q)
            for name in b.names:
                q = Query(kind="search_posts", value=name)
                queries.setdefault(q.key.casefold(), q)
        return list(queries.values())

    def detect(self, item: Post | Profile, ctx: Context) -> list[Finding]:
        if not isinstance(item, Post):
            return []
        author = item.author
        handle = author.handle if author else None
        rules = ScamRules.cached(ctx)
        if handle and (item.platform.lower(), norm_handle(handle)) in rules.never_reported:
            return []
        view = readable(item, ctx)  # alt text and pictures' text read like the post's own
        post = item.model_copy(update={"text": view.text}) if len(view.parts) > 1 else item
        found = rules.assess(post, enrichers=ctx.enrichers if ctx.online else None)
        if found is None or found.score < REPORT_FROM:
            return []
        subject = (
            Subject(platform=item.platform, kind="account", id=(author.id or author.handle),
                    handle=author.handle, url=_account_url(item), display_name=author.display_name)
            if author and (author.id or author.handle)
            else Subject(platform=item.platform, kind="post", id=item.id, url=item.url)
        )
        return [view.annotate(Finding(detector=self.name, kind=KIND, severity=found.severity, score=found.score,
                                      reasons=found.reasons, evidence=found.evidence, subject=subject,
                                      item_id=item.id, item_url=item.url, observed_at=ctx.now))]
