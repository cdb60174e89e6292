"""Lookalike domains: is a link's registrable domain official, an imitation of one, or unrelated?

The index never generates permutations of the protected domains (there are thousands per domain,
millions per watchlist). It classifies the candidate instead: exact and look-alike spellings are
dictionary lookups; edits are measured (rapidfuzz OSA) only against the protected names within
a length window of the candidate; an Aho-Corasick automaton finds protected names inside longer
labels (combosquats), and another finds the halves of long names, the precondition of a misspelt
name glued to other words. With a few brands a check costs about ten microseconds
(benchmarks/bench_impersonation.py); it grows with the number of names of similar length.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Iterable, Literal, Mapping, NamedTuple

import ahocorasick
import idna
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from sentinelle.text.normalize import compact, skeleton
from sentinelle.text.urls import RISKY_SUFFIXES, _ascii, host_of, split_ascii_host, split_host

if TYPE_CHECKING:
    from sentinelle.watchlist import Watchlist

# Pairs that look alike in a URL bar (after dnstwist's ASCII glyph table), both directions.
_GLYPH_PAIRS = {("0", "o"), ("1", "l"), ("1", "i"), ("i", "l"), ("3", "8"), ("6", "9"), ("b", "d"),
                ("c", "e"), ("g", "q"), ("m", "n"), ("n", "r"), ("u", "v"), ("3", "e"), ("5", "s"),
                ("4", "a"), ("7", "t")}
_GLYPH_PAIRS |= {(b, a) for a, b in _GLYPH_PAIRS}
# Multi-letter lookalikes, then letters folded into one class per look: "rn" reads as "m", and
# "m", "n" and "r" confuse each other at small sizes. Applied to both sides of a comparison. No
# "dl" → "d": "l" stands for "i" in "dlscord", and folding both sides already makes them one.
_MULTI_GLYPH = (("rn", "m"), ("nn", "m"), ("rr", "m"), ("vv", "w"), ("cl", "d"), ("lb", "b"),
                ("lh", "h"), ("lc", "k"))
_GLYPH_CLASS = str.maketrans({"1": "l", "i": "l", "|": "l", "j": "l", "0": "o", "c": "e", "3": "e", "q": "g",
                              "v": "u", "b": "d", "8": "d", "m": "n", "r": "n", "4": "a", "5": "s", "7": "t",
                              "9": "g", "6": "g", "_": "-"})
_VOWELS = frozenset("aeiouy")
_QWERTY = {
    "1": "2q", "2": "3wq1", "3": "4ew2", "4": "5re3", "5": "6tr4", "6": "7yt5", "7": "8uy6", "8": "9iu7",
    "9": "0oi8", "0": "po9", "q": "12wa", "w": "3esaq2", "e": "4rdsw3", "r": "5tfde4", "t": "6ygfr5",
    "y": "7uhgt6z", "u": "8ijhy7", "i": "9okju8", "o": "0plki9", "p": "lo0", "a": "qwszy", "s": "edxzaw",
    "d": "rfcxse", "f": "tgvcdr", "g": "yhbvft", "h": "ujnbgy", "j": "ikmnhu", "k": "olmji", "l": "kop",
    "z": "asxuht", "x": "zsdc", "c": "xdfv", "v": "cfgb", "b": "vghn", "n": "bhjm", "m": "njk",
}  # with the QWERTZ/AZERTY swaps (y/z, a/q) that dnstwist also tries

Kind = Literal[
    "tld-swap", "idn", "homoglyph", "bitsquatting", "vowel-swap", "replacement", "transposition",
    "addition", "insertion", "repetition", "hyphenation", "plural", "omission", "subdomain",
    "typosquat", "combosquat", "brand-subdomain", "brand-name", "various",
]

# Labels this short are words or initials that many unrelated sites share: only exact copies
# (another suffix, a Unicode homograph, the whole domain inside another) count for them.
_MIN_FUZZY = 4
_SEEN_HOSTS = 65536  # verdicts remembered per index (then forgotten all at once: bounded memory)
_MIN_CONTAINED = 6  # shorter names count inside a longer label only as a whole "-" separated word
_TWO_EDITS = 10  # names this long may be two edits away ("steamcommnuity")
_THREE_EDITS = 13  # and names this long three ("steamncomuniry"): no ordinary word is that close to them
_FREE_WINDOW = 10  # shorter misspelt names count inside a label only at its start or end
_MIN_WINDOW = 7  # a misspelt name inside a longer label ("dlscordnitro"): long names only
# The second-level names registries under a wildcard rule ("*.kh", "*.ck") actually sell.
_SECOND_LEVEL = frozenset({"com", "net", "org", "edu", "gov", "mil", "biz", "info", "name", "coop", "co", "ac",
                           "or", "ne", "go", "gob", "nom", "per", "sch", "int", "ltd", "plc", "web", "gen"})
_GARBLED_LEN = 12  # names this long are recognised garbled past a few edits ...
_GARBLED = 80  # ... when the label keeps this share of their letters in order (rapidfuzz ratio)


@lru_cache(maxsize=65536)
def glyph_skeleton(label: str) -> str:
    """A label with homoglyphs folded: Unicode confusables, accents, "rn"→"m", "1"/"l"/"i", ..."""
    s = skeleton(label) if not label.isascii() else label.lower()
    for pair, glyph in _MULTI_GLYPH:  # plain replaces: several times faster than one regex here
        if pair in s:
            s = s.replace(pair, glyph)
    return s.translate(_GLYPH_CLASS)


def glyph_classes(text: str) -> str:
    """`text` with each look-alike letter replaced by its class ("1"/"i"/"j" → "l", "0" → "o", ...),
    letter for letter: the single-letter part of `glyph_skeleton`, for text already folded. Two
    texts one edit apart stay at most one edit apart."""
    return text.translate(_GLYPH_CLASS)


def _unicode_label(label: str) -> str:
    """The Unicode (U-label) form of a punycode label, or the label itself."""
    if not label.startswith("xn--") and ".xn--" not in label and "-xn--" not in label:
        return label
    try:
        return idna.decode(label)
    except (idna.IDNAError, UnicodeError, ValueError):
        try:  # IDNA2008 refuses some spoofing code points that browsers still display
            return label.encode("ascii").decode("idna")
        except (UnicodeError, ValueError):
            return label


def edit_kind(cand: str, official: str) -> str | None:
    """The dnstwist fuzzer that turns `official` into `cand` with one edit, if any."""
    lc, lo = len(cand), len(official)
    if lc == lo:
        diffs = [i for i in range(lc) if cand[i] != official[i]]
        if len(diffs) == 1:
            a, b = official[diffs[0]], cand[diffs[0]]
            if (a, b) in _GLYPH_PAIRS:
                return "homoglyph"
            if a in _VOWELS and b in _VOWELS:
                return "vowel-swap"
            if b in _QWERTY.get(a, ""):
                return "replacement"
            if (ord(a) ^ ord(b)).bit_count() == 1:
                return "bitsquatting"
            return "replacement"
        if (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                and cand[diffs[0]] == official[diffs[1]] and cand[diffs[1]] == official[diffs[0]]):
            return "transposition"
        return None
    if lc == lo + 1:
        i = next((k for k in range(lo) if cand[k] != official[k]), lo)
        if cand[:i] + cand[i + 1:] != official:
            return None
        ch = cand[i]
        if ch == "-":
            return "hyphenation"
        if (i > 0 and cand[i - 1] == ch) or (i + 1 < lc and cand[i + 1] == ch):
            return "repetition"
        if i == lo:
            return "plural" if ch == "s" else "addition"
        return "plural" if ch == "s" else "insertion"
    if lc == lo + 2 and cand == official + "es":
        return "plural"
    if lc == lo - 1:
        i = next((k for k in range(lc) if cand[k] != official[k]), lc)
        if official[:i] + official[i + 1:] == cand:
            return "omission"
    return None


class DomainVerdict(NamedTuple):
    """What a link's domain is to the watchlist, with a reason a person can read."""

    status: Literal["official", "lookalike", "unrelated"]
    domain: str  # the registrable domain judged (ASCII/punycode)
    kind: str | None = None  # for lookalikes: the dnstwist fuzzer name, "combosquat", ...
    target: str | None = None  # the official domain imitated
    brand: str | None = None
    reason: str = ""
    # For lookalikes: whether the imitation is plain enough to alert on its own (see `_strong`).
    strong: bool = False

    @property
    def is_lookalike(self) -> bool:
        return self.status == "lookalike"

    @property
    def is_official(self) -> bool:
        return self.status == "official"


@dataclass(frozen=True, slots=True)
class _Target:
    label: str  # ASCII label of an official domain, or a brand name squeezed to one word
    skel: str  # glyph_skeleton(label) without hyphens
    domain: str | None
    brand: str | None
    official: bool  # the label of an official domain (else a brand name)
    glued: bool = False  # label and suffix written as one word ("maisonlumierefr"), dnstwist "various"


def _popular() -> frozenset[str]:
    text = resources.files("sentinelle.signals").joinpath("popular_domains.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


_POPULAR = _popular()


def well_known(domain: str) -> bool:
    """Whether a registrable domain is one of the well-known sites everyone links to."""
    return domain in _POPULAR


class LookalikeIndex:
    """Built once per watchlist; `check(url_or_domain)` answers in microseconds."""

    def __init__(self, official_domains: Iterable[str], brand_names: Iterable[str] = (),
                 brand_of: Mapping[str, str] | None = None, allowed_domains: Iterable[str] = ()):
        """`brand_of` maps an official domain or a brand name to the brand it belongs to;
        `allowed_domains` (the watchlist's allowlist) are never reported."""
        brand_of = dict(brand_of or {})
        official_list = [d for d in official_domains if host_of(d)]
        # Compared in ASCII (punycode), as hosts are: "münchen.de" and "xn--mnchen-3ya.de" are one domain.
        for d in official_list:
            if d in brand_of:
                brand_of.setdefault(_ascii(host_of(d)), brand_of[d])
        self.official = frozenset(_ascii(host_of(d)) for d in official_list)
        self._official_tails = tuple("." + d for d in self.official)
        self._seen: dict[str, DomainVerdict] = {}
        self._never = _POPULAR | {_ascii(host_of(d)) for d in allowed_domains}
        targets: dict[str, _Target] = {}
        for d in sorted(self.official):
            sub, label, suffix = split_host(d)
            if sub and f"{label}.{suffix}" in _POPULAR:
                # A brand hosted on a platform ("acme.github.io"): its name is the subdomain;
                # the platform's own name ("github") is no name of the brand's.
                label = sub.rsplit(".", 1)[-1]
            if label and label not in targets:
                brand = brand_of.get(d) or label
                skel = glyph_skeleton(_unicode_label(label)).replace("-", "")
                targets[label] = _Target(label, skel, d, brand, True)
        for d in sorted(self.official):
            sub, label, suffix = split_host(d)
            glued = (label + suffix).replace(".", "").replace("-", "")
            if label and glued not in targets and "xn--" not in d and f"{label}.{suffix}" not in _POPULAR:
                targets[glued] = _Target(glued, glyph_skeleton(glued), d, brand_of.get(d) or label, False, True)
        for name in brand_names:
            label = compact(name)
            if len(label) >= _MIN_FUZZY and label not in targets and label.isascii():
                brand = brand_of.get(name, name)
                domain = next((d for d, b in brand_of.items() if b == brand and "." in d), None)
                targets[label] = _Target(label, glyph_skeleton(label), domain, brand, False)
        self._targets = list(targets.values())
        self._by_label = {t.label: t for t in self._targets}
        self._by_label.update({t.label.replace("-", ""): t for t in self._targets
                               if t.label.replace("-", "") not in self._by_label})
        self._by_skel: dict[str, _Target] = {}
        for t in self._targets:
            self._by_skel.setdefault(t.skel, t)
        # Length window: a label two edits from a name is at most two letters longer or shorter.
        # Names under ten letters are matched within one edit, longer ones within two (three from 13).
        self._near_by_len, self._near_skels = _by_length(
            (t, t.skel) for t in self._targets if len(t.skel) >= _MIN_FUZZY)
        # The same by plain spelling: folding can also hide a typo ("wallct" folds to "walkt").
        self._plain_by_len, self._plain_words = _by_length(
            (t, plain) for t in self._targets if len(plain := t.label.replace("-", "")) >= _TWO_EDITS and not t.glued)
        self._long = [t for t in self._targets if len(t.label.replace("-", "")) >= _GARBLED_LEN and not t.glued]
        self._long_words = [t.label.replace("-", "") for t in self._long]
        # A name within one edit keeps its first or its last (n-1)//2 letters intact: finding
        # either half inside a label is a cheap necessary condition for the costly window test.
        # Windows compare plain letters: with lookalike classes folded, one edit inside a long
        # label matches too many unrelated words.
        self._halves: ahocorasick.Automaton | None = ahocorasick.Automaton()
        for t in self._targets:
            plain = t.label.replace("-", "")
            if len(plain) >= _MIN_WINDOW and not t.glued:
                h = (len(plain) - 1) // 2
                for half in (plain[:h], plain[-h:]):
                    hit = self._halves.get(half, None) if half in self._halves else None
                    self._halves.add_word(half, (hit or ()) + (t,))
        if len(self._halves):
            self._halves.make_automaton()
        else:
            self._halves = None
        self._ac = ahocorasick.Automaton()
        for t in self._targets:
            if len(t.skel) >= _MIN_FUZZY:
                self._ac.add_word(t.skel, t)
        if len(self._ac):
            self._ac.make_automaton()
        else:
            self._ac = None

    @classmethod
    def from_watchlist(cls, watchlist: "Watchlist") -> "LookalikeIndex":
        brand_of: dict[str, str] = {}
        names: list[str] = []
        for b in watchlist.brands:
            for d in b.domains:
                brand_of.setdefault(d, b.name)
            for n in b.names:
                brand_of.setdefault(n, b.name)
                names.append(n)
        index = cls(watchlist.official_domains, names, brand_of, watchlist.allowlist.domains)
        return index

    @classmethod
    def cached(cls, ctx: Any) -> "LookalikeIndex":
        """The index for `ctx.watchlist`, built on first use and shared through `ctx.cache`."""
        return ctx.memo("signals.domains.index", cls.from_watchlist)

    def is_official(self, url_or_host: str) -> bool:
        return self._official_host(_ascii(host_of(url_or_host)))

    def _official_host(self, host: str) -> bool:
        return bool(host) and (host in self.official or host.endswith(self._official_tails))

    def check(self, url_or_domain: str) -> DomainVerdict:
        """The verdict on a link's host (its path does not matter), remembered for repeats: a
        feed links to the same few hosts over and over."""
        host = host_of(url_or_domain)
        verdict = self._seen.get(host)
        if verdict is None:
            verdict = self._check_host(host)
            if len(self._seen) >= _SEEN_HOSTS:
                self._seen.clear()
            self._seen[host] = verdict
        return verdict

    def _check_host(self, host: str) -> DomainVerdict:
        if not host.isascii():
            host = _ascii(host)
        if not host:
            return DomainVerdict("unrelated", "", reason="no host")
        if self._official_host(host):
            return DomainVerdict("official", host, reason="an official domain or one of its subdomains")
        sub, label, suffix = split_ascii_host(host)
        first, _, rest = suffix.partition(".")
        if rest and "." not in rest and first not in _SECOND_LEVEL and len(first) >= _MIN_FUZZY:
            # A wildcard ccTLD rule ("*.kh") made a name its registry never sold a suffix
            # ("myetherwallet.kh"): the link still reads as that name under the country's code.
            sub, label, suffix = ".".join(p for p in (sub, label) if p), first, rest
        if not suffix and (label.replace("-", "").isalpha() or label.startswith("xn--")) and sub:
            # An unlisted top-level name (a brand TLD the bundled list dropped): read it as one.
            sub, label, suffix = sub.rpartition(".")[0], sub.rpartition(".")[2], label
        if not label or not suffix:
            return DomainVerdict("unrelated", host, reason="no public suffix (an address or a local name)")
        reg = f"{label}.{suffix}"
        if reg in self._never:
            return DomainVerdict("unrelated", reg, reason="a well-known or allowlisted domain")
        found = self._classify(sub, label, suffix)
        if found is None:
            return DomainVerdict("unrelated", reg)
        kind, target, why = found
        what = target.domain or target.brand or target.label
        strong = _strong(kind, target, label, suffix) or (kind == "combosquat" and self._second_name(label, target))
        return DomainVerdict("lookalike", reg, kind, target.domain, target.brand,
                             f"{reg} imitates {what}: {why}", strong)

    def _second_name(self, label: str, target: _Target) -> bool:
        """Whether a combosquat's other words hold another protected name ("discord-hypesquads",
        "dicsord-steam"): two of the watchlist's names in one label are no coincidence."""
        if self._ac is None:
            return False
        rest = glyph_skeleton(label).replace("-", "").replace(target.skel, " ", 1)
        return any(len(t.skel) >= 5 and t.skel not in target.skel and target.skel not in t.skel
                   for _, t in self._ac.iter(rest))

    def _near(self, flat: str, max_dist: int, plain: bool = False) -> list[tuple[int, _Target]]:
        """Protected names within `max_dist` edits of `flat`, nearest first (at most three).
        `plain`: `flat` is a plain spelling, compared with the long names' plain spellings."""
        pool = (self._plain_by_len if plain else self._near_by_len).get(len(flat))
        if not pool:
            return []
        words = (self._plain_words if plain else self._near_skels)[len(flat)]
        if len(pool) <= 16:  # a plain loop beats the set-up of a vectorised call on few names
            hits = [(d, pool[i]) for i, w in enumerate(words)
                    if (d := OSA.distance(flat, w, score_cutoff=max_dist)) <= max_dist]
        else:
            found = process.extract(flat, words, scorer=OSA.distance, score_cutoff=max_dist, limit=3)
            hits = [(d, pool[i]) for _, d, i in found]
        if not hits:
            return hits
        hits = [(d, t) for d, t in hits if d <= (1 if t.glued else _reach(len(t.skel)))]
        return sorted(hits, key=lambda h: h[0])[:3]

    def _classify(self, sub: str, label: str, suffix: str) -> tuple[str, _Target, str] | None:
        ulabel = _unicode_label(label) if "xn--" in label else label
        idn = ulabel != label
        skel = glyph_skeleton(ulabel)
        flat = skel.replace("-", "")

        # The same name under another suffix, or the same look in other letters.
        t = self._by_label.get(label) or self._by_label.get(label.replace("-", ""))
        if t is not None and t.label == label and t.official:
            return "tld-swap", t, f"the name {ulabel!r} under .{suffix}"
        if t is not None and not idn:
            if t.official and t.label.replace("-", "") == label:
                return "omission", t, f"{t.label!r} without its hyphen"
            if t.glued:
                return "various", t, f"the domain {t.domain!r} written as one word"
            return "brand-name", t, f"the brand name {t.brand!r} as a domain of its own"
        t = self._by_skel.get(flat)
        if t is not None and (idn or len(t.skel) >= _MIN_FUZZY):
            if idn:
                return "idn", t, f"Unicode letters that look like {t.label!r} ({ulabel!r})"
            return "homoglyph", t, f"letters that look alike ({label!r} vs {t.label!r})"

        # One or two edits away from a protected label (vectorised prefilter, then the details).
        near = self._near(flat, 3) or ([] if idn else self._near(label.replace("-", ""), 3, plain=True))
        for dist, t in near:
            if idn and dist <= 1 and len(t.skel) >= 5:
                return "idn", t, f"Unicode letters and a typo imitating {t.label!r} ({ulabel!r})"
            if idn:
                continue
            kind = edit_kind(label, t.label) or edit_kind(label.replace("-", ""), t.label.replace("-", ""))
            own = _own_rare_suffix(t, suffix)
            if kind and (len(t.skel) >= 5 or own or kind in ("bitsquatting", "homoglyph", "transposition",
                                                              "repetition", "hyphenation")):
                return kind, t, f"one {kind} edit of {t.label!r}" + (f" under its own .{suffix}" if own else "")
            # Folded letter classes make short names collide ("neodium" ~ "medium"): under ten
            # letters the plain spelling must be one edit away as well.
            if dist <= (_reach(len(t.skel)) if len(t.skel) >= _TWO_EDITS else 1 if len(t.skel) >= 6 or own else 0) and (
                    len(t.skel) >= _TWO_EDITS or OSA.distance(flat, t.label.replace("-", ""), score_cutoff=1) <= 1
                    or OSA.distance(label.replace("-", ""), t.label.replace("-", ""), score_cutoff=1) <= 1):
                return "typosquat", t, f"{dist} edit(s) from {t.label!r} once lookalike letters are folded"

        # dnstwist's "subdomain": a dot inside the name ("maison.lumiere.fr").
        subs = sub.split(".") if sub else []
        if subs:
            for joined in (subs[-1] + label, subs[-1] + "-" + label):
                t = self._by_label.get(joined)
                if t is not None:
                    return "subdomain", t, f"{t.label!r} split by a dot"
            # The brand's domain or name (or a misspelling of it) as a subdomain of another domain.
            for part in subs:
                pskel = glyph_skeleton(part).replace("-", "")
                t = self._by_label.get(part) or self._by_skel.get(pskel)
                if t is None and len(pskel) >= _MIN_CONTAINED:
                    t = next((t for _, t in self._near(pskel, 3) if len(t.skel) >= _MIN_CONTAINED), None)
                    if t is None and self._ac is not None:
                        t = max((t for _, t in self._ac.iter(pskel) if len(t.skel) >= _MIN_CONTAINED),
                                key=lambda t: len(t.skel), default=None)
                if t is not None and len(t.skel) >= _MIN_FUZZY:
                    return "brand-subdomain", t, f"{t.label!r} used as a subdomain of {label}.{suffix}"

        # Combosquats: the protected name inside a longer label ("maisonlumiere-login").
        if self._ac is not None:
            words = set(skel.split("-")) if "-" in skel else {skel}
            inside = [t for _, t in self._ac.iter(flat)]
            if inside:
                t = max((t for t in inside if len(t.skel) >= _MIN_CONTAINED or t.skel in words),
                        key=lambda t: len(t.skel), default=None)
                if t is not None:
                    return "combosquat", t, f"the name {t.label!r} with other words ({ulabel!r})"
            # A misspelt protected name as one of the label's words ("dlscord-gift").
            if len(words) > 1:
                for w in words:
                    if len(w) < 5:
                        continue
                    for _, t in self._near(w, 1):
                        if len(t.skel) >= 5:
                            return "combosquat", t, f"a misspelling of {t.label!r} with other words ({ulabel!r})"
        # ... or glued to other words without a hyphen ("dlscordnitro"): long names only.
        plain = (skeleton(ulabel) if idn else label).replace("-", "")
        if self._halves is not None and len(plain) >= _MIN_WINDOW:
            seen: set[str] = set()
            for _, group in self._halves.iter(plain):
                for t in group:
                    word = t.label.replace("-", "")
                    if t.label not in seen and len(plain) > len(word):
                        seen.add(t.label)
                        if _window_distance(plain, word, anchored=len(word) < _FREE_WINDOW) <= 1:
                            return "combosquat", t, f"a misspelling of {t.label!r} with other words ({ulabel!r})"
        # A long name garbled past a few edits ("steamcomnmuunilly"): most of its letters, in order.
        # Long names only: no ordinary word shares 80% of the letters of a 12-letter name by chance.
        if self._long_words and not idn and len(plain) >= _GARBLED_LEN - 2:
            found = process.extractOne(plain, self._long_words, scorer=fuzz.ratio, score_cutoff=_GARBLED)
            if found is not None:
                t = self._long[found[2]]
                return "typosquat", t, f"a garbled spelling of {t.label!r} ({found[1]:.0f}% of its letters in order)"
        return None


# Edits that leave a name readable as itself; on a short name they make ordinary words instead.
_EDITS = frozenset({"bitsquatting", "vowel-swap", "replacement", "transposition", "addition", "insertion",
                    "repetition", "plural", "omission", "typosquat", "homoglyph"})
_DISTINCTIVE = 7  # an edit of a name this long is still the name ("paypal" → "paypai" is not)
_UNIQUE = 12  # a name this long inside another label is that name, whatever words come with it
_OWN_SUFFIXES = 8  # names shorter than this are often the brand's own under other suffixes (amazon.de)
# Words that phishing glues to a brand's name ("paypal-login", "discordnitro", "steam-trade"); a
# brand's own other domains add product words instead ("steamstatic", "paypalobjects").
_LURE_WORDS = ("login", "logon", "signin", "sign-in", "secure", "security", "verify", "verif", "account", "update",
               "support", "help", "service", "billing", "payment", "refund", "unlock", "alert", "auth", "wallet",
               "gift", "bonus", "promo", "claim", "reward", "free", "nitro", "airdrop", "drop", "official", "client",
               "compte", "facture", "colis", "livraison", "rembourse", "securite", "assistance", "confirm", "track",
               "delivery", "parcel", "package", "access", "connect", "trade", "trading", "skin",
               "case", "market", "giveaway", "event", "token", "sale", "crowd", "ico", "presale", "claim", "verify",
               "recover", "restore", "validat", "safe", "protect", "check", "team", "prize", "win", "offer",
               "portal", "cash", "money", "card",
               "form", "register", "signup", "join", "moderat", "staff", "academy", "program", "subscri", "renew",
               "mail", "job", "hire", "apply", "partner", "program", "contest", "lottery", "bonus", "spin",
               # account threats and perks: the first lure family ("your account will be banned")
               "warning", "report", "appeal", "suspend", "locked", "disabled", "violation", "banned", "unban", "applica",
               "badge", "boost", "admin")


def _strong(kind: str, target: _Target, label: str, suffix: str) -> bool:
    """Whether a lookalike is plain enough to alert on by itself: a Unicode homograph, the name
    as a subdomain or split by a dot, a close edit or another suffix of a distinctive name, the
    name with a lure word, digits or a cheap suffix. Weak: an edit of a short name (most are
    ordinary words or other firms' names), a short name under another ordinary suffix (the brand's
    own regional or product sites, more often than not), the name with product words
    ("steamstatic"), a name read across a word's edge ("mintmobile" is no "t-mobile")."""
    name = target.label.replace("-", "")
    cheap = suffix in RISKY_SUFFIXES or suffix.rsplit(".", 1)[-1] in RISKY_SUFFIXES
    if kind in ("idn", "brand-subdomain", "subdomain", "various"):
        return True
    if kind in ("tld-swap", "brand-name", "omission") and name in label.replace("-", ""):
        official = (target.domain or "").partition(".")[2]
        typo = bool(official) and suffix != official and OSA.distance(suffix, official, score_cutoff=1) <= 1
        return len(name) >= _OWN_SUFFIXES or cheap or typo or label != target.label
    if kind in _EDITS:
        return len(name) >= _DISTINCTIVE or _own_rare_suffix(target, suffix)
    if kind == "combosquat":
        if target.glued:
            return True  # the whole official domain inside a label ("discordgift-nitro", "steamcommunitycom")
        flat = label.replace("-", "")
        at = flat.find(name)
        segments = target.label.split("-")
        if (at > 0 and len(segments[0]) <= 2) or (0 <= at < len(flat) - len(name) and len(segments[-1]) <= 2):
            return False
        rest = f"{flat[:at]} {flat[at + len(name):]}" if at >= 0 else flat
        lure = cheap or any(w in rest for w in _LURE_WORDS) or any(c.isdigit() for c in rest)
        if len(name) >= _DISTINCTIVE and (target.label in label.split("-") or name in label.split("-")):
            return True  # a distinctive name as a word of its own ("discord-start", "forms-hypesquad")
        if at < 0:  # a misspelt name with other words: deliberate when the name is long
            return len(name) >= _DISTINCTIVE or lure
        return lure or len(name) >= _UNIQUE
    return len(name) >= _DISTINCTIVE


def _own_rare_suffix(target: _Target, suffix: str) -> bool:
    """Whether `suffix` is the target's own and few others use it ("idex.market", not ".com"): an
    edit of even a short name under it is no coincidence, where under .com it is another word."""
    own = (target.domain or "").partition(".")[2]
    return (suffix == own and "." not in own and len(own) >= 4 and own not in RISKY_SUFFIXES
            and own not in _BROAD_SUFFIXES)


_BROAD_SUFFIXES = frozenset({"info", "mobi", "name", "asia", "coop", "aero", "jobs", "travel", "tech", "blog"})


def _by_length(named: Iterable[tuple[_Target, str]]) -> tuple[dict[int, list[_Target]], dict[int, list[str]]]:
    """For each label length, the targets whose name (as given) is within reach of it, and those names."""
    pools: dict[int, list[_Target]] = {}
    words: dict[int, list[str]] = {}
    for t, name in named:
        reach = _reach(len(name))
        for n in range(len(name) - reach, len(name) + reach + 1):
            pools.setdefault(n, []).append(t)
            words.setdefault(n, []).append(name)
    return pools, words


def _reach(n: int) -> int:
    """How many edits away a name of `n` letters may be and still be recognised."""
    return 3 if n >= _THREE_EDITS else 2 if n >= _TWO_EDITS else 1


def _window_distance(text: str, word: str, anchored: bool = False) -> int:
    """The smallest OSA distance between `word` and a slice of `text` about its length, looked for
    around the best-aligned slice rapidfuzz finds (not at every offset). `anchored`: only slices
    that start or end the text count (words glued before or after the name)."""
    n = len(word)
    cutoff = 100 * (1 - 1 / n) - 0.5  # one substitution in an n-letter slice scores 100 * (1 - 1/n)
    al = fuzz.partial_ratio_alignment(word, text, score_cutoff=cutoff)
    if al is None:
        return 99
    best = 99
    for start in (al.dest_start - 1, al.dest_start, al.dest_start + 1):
        for size in (n - 1, n, n + 1):
            if 0 <= start and start + size <= len(text) and (
                    not anchored or start == 0 or start + size == len(text)):
                best = min(best, OSA.distance(text[start:start + size], word, score_cutoff=1))
    return best


__all__ = ["DomainVerdict", "LookalikeIndex", "edit_kind", "glyph_classes", "glyph_skeleton", "well_known"]
