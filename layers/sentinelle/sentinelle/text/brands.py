"""One-pass phrase matching over normalised text, and the brand matcher built on it."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, Iterable, Literal

import ahocorasick

from sentinelle.text.normalize import Prepared, _TOKEN_RE, fold, match_key, open_breaks, prepare, skeleton
from sentinelle.watchlist import Brand, Watchlist

MIN_KEY = 3  # shorter brand keys ("ml") would match initials and noise


@dataclass(frozen=True, slots=True)
class _Entry:
    payload: Any
    breaks: frozenset[int]  # offsets inside the key where the phrase itself has a word break
    strict: bool  # whether the text may not break words where the phrase does not


class PhraseMatcher:
    """Many phrases found in one pass of an Aho-Corasick automaton over `Prepared.key`.

    Matches start and end on word boundaries. Spacing is tolerated where the phrase has a word
    break ("gift card" also finds "giftcard"); a `strict` phrase is not found across a break it
    does not have ("pcs" is not found in "PC's"), a loose one is ("m a i s o n" for "maison").
    """

    def __init__(self, phrases: Iterable[tuple[str, Any]], strict: bool = True, min_key: int = MIN_KEY,
                 plurals: bool = False):
        """`plurals`: also find multi-word phrases with an "s" on their last word ("gift cards")."""
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[_Entry]] = {}
        for phrase, payload in phrases:
            words = [match_key(w) for w in _TOKEN_RE.findall(skeleton(phrase))]
            key = "".join(words)
            if len(key) < min_key:
                continue
            breaks, pos = set(), 0
            for w in words[:-1]:
                pos += len(w)
                breaks.add(pos)
            entries.setdefault(key, []).append(_Entry(payload, frozenset(breaks), strict))
            if plurals and len(words) > 1 and not key.endswith("s"):
                entries.setdefault(key + "s", []).append(_Entry(payload, frozenset(breaks), strict))
        for key, items in entries.items():
            self._automaton.add_word(key, (len(key), tuple(items)))
        self.size = len(entries)
        if self.size:
            self._automaton.make_automaton()

    def find(self, text: Prepared | str) -> list[tuple[Any, str, int]]:
        """(payload, matched words, offset in the key) for every phrase found, in text order."""
        p = text if isinstance(text, Prepared) else prepare(text)
        if not self.size or not p.key:
            return []
        out = []
        starts, ends = p.starts, p.ends
        for last, (length, items) in self._automaton.iter(p.key):
            end = last + 1
            start = end - length
            if end not in ends:
                continue
            i = bisect_right(starts, start) - 1
            if i < 0 or starts[i] != start:
                continue
            # Word starts strictly inside the match: a strict phrase must have a break at each.
            k = i + 1
            inner = []
            while k < len(starts) and starts[k] < end:
                inner.append(starts[k] - start)
                k += 1
            words = None
            for e in items:
                if e.strict and inner and not e.breaks.issuperset(inner):
                    continue
                if words is None:
                    words = p.span_words(start, end)
                out.append((e.payload, words, start))
        return out


How = Literal["exact", "hashtag", "spacing", "homoglyph", "leetspeak"]


@dataclass(frozen=True, slots=True)
class BrandMatch:
    brand: str  # the brand's name in the watchlist
    term: str  # the name, alias or hashtag matched, as the watchlist spells it
    field: Literal["name", "alias", "hashtag"]
    how: How  # what it took to see it: nothing, a hashtag, spacing, homoglyphs or leetspeak
    text: str  # the words matched, normalised

    @property
    def reason(self) -> str:
        shown = f"#{self.term}" if self.field == "hashtag" else f"“{self.term}”"
        tail = {
            "exact": "",
            "hashtag": "",
            "spacing": " (written with different spacing)",
            "homoglyph": " (spelled with look-alike letters from another alphabet)",
            "leetspeak": " (spelled with digits or symbols for letters)",
        }[self.how]
        return f"mentions the brand {self.brand} as {shown}{tail}"


_FIELD_ORDER = {"hashtag": 0, "name": 1, "alias": 2}


class BrandMatcher:
    """The watchlist's brand names, aliases and hashtags, found in one pass; build once per watchlist."""

    def __init__(self, brands: Watchlist | Iterable[Brand]):
        brands = brands.brands if isinstance(brands, Watchlist) else list(brands)
        phrases = []
        for b in brands:
            phrases += [(b.name, (b.name, b.name, "name"))]
            phrases += [(a, (b.name, a, "alias")) for a in b.aliases]
            phrases += [(h, (b.name, h, "hashtag")) for h in b.hashtags]
        self._matcher = PhraseMatcher(phrases, strict=False)
        # Folded forms for telling how a match was made (only looked at once something matched).
        self._folded = {term: fold(term) for _, (_, term, _) in phrases}
        self._compact = {term: "".join(_TOKEN_RE.findall(f)) for term, f in self._folded.items()}
        # Prepared.folded has the breaks inside hashtags opened: "#maison lumiere".
        self._tagged = {term: fold(open_breaks("#" + "".join(filter(str.isalnum, term)))) for term in self._folded}

    @classmethod
    def cached(cls, ctx: Any) -> "BrandMatcher":
        """The matcher for `ctx.watchlist`, built on first use and kept in `ctx.cache`."""
        m = ctx.cache.get("text.brands.matcher")
        if m is None:
            m = ctx.cache["text.brands.matcher"] = cls(ctx.watchlist)
        return m

    def _plain_how(self, term: str, folded: str) -> How | None:
        if "#" + self._compact[term] in folded or self._tagged[term] in folded:
            return "hashtag"
        return "exact" if self._folded[term] in folded else None

    def find(self, text: Prepared | str) -> list[BrandMatch]:
        """Each brand term found once, in text order, with how it was written."""
        p = text if isinstance(text, Prepared) else prepare(text)
        found = self._matcher.find(p)
        if not found:
            return []
        folded = p.folded
        fold_compact = skel_compact = None  # computed on demand, rarely needed
        groups: dict[str, list[tuple[str, str, str]]] = {}
        for payload, words, _ in found:
            groups.setdefault(words, []).append(payload)
        best: dict[tuple[str, str], BrandMatch] = {}
        for words, terms in groups.items():
            # Cheap tests first; the costlier ones only if no term sharing these words passed them.
            cands = [BrandMatch(brand, term, fld, how, words) for brand, term, fld in terms
                     if (how := self._plain_how(term, folded))]
            if not cands:
                if fold_compact is None:
                    fold_compact = "".join(_TOKEN_RE.findall(folded))
                for brand, term, fld in terms:
                    c = self._compact[term]
                    if c in fold_compact:
                        how: How = "spacing"
                    else:
                        if skel_compact is None:
                            skel_compact = "".join(_TOKEN_RE.findall(skeleton(open_breaks(p.text))))
                        how = "homoglyph" if c in skel_compact else "leetspeak"
                    cands.append(BrandMatch(brand, term, fld, how, words))
            for m in cands:
                old = best.get((m.brand, words))
                if old is None or _rank(m) < _rank(old):
                    best[(m.brand, words)] = m
        # The same term written twice (in the text and again as a platform hashtag) counts once.
        once: dict[tuple[str, str], BrandMatch] = {}
        for m in best.values():
            once.setdefault((m.brand, m.term), m)
        return list(once.values())


def _rank(m: BrandMatch) -> tuple[int, int, int]:
    # Of the terms that share a spelling, report the hashtag when it was written as one, else the
    # term written most plainly, else the name before an alias.
    hashtag_first = 0 if (m.how == "hashtag") == (m.field == "hashtag") else 1
    return (hashtag_first, _HOW[m.how], _FIELD_ORDER[m.field])


_HOW = {"hashtag": 0, "exact": 1, "spacing": 2, "homoglyph": 3, "leetspeak": 4}


__all__ = ["BrandMatch", "BrandMatcher", "PhraseMatcher"]
