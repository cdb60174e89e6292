"""One-pass phrase matching over normalised text, and the brand matcher built on it."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, Iterable, Literal

import ahocorasick

from sentinelle.text.normalize import Prepared, _TOKEN_RE, fold, match_key, open_breaks, prepare, skeleton
from sentinelle.watchlist import Brand, Watchlist

MIN_KEY = 3  # shorter brand keys ("ml") would match initials and noise


class PhraseMatcher:
    """Many phrases found in one pass of an Aho-Corasick automaton over a prepared text.

    Matches are whole words. A `strict` phrase is matched on the words as written, spacing
    tolerated only where the phrase itself breaks ("gift card" also finds "giftcard", but "pcs"
    is not found in "PC's"). A loose phrase is matched on the words run together, so any spacing
    goes ("m a i s o n" finds "maison"), as brand names need.
    """

    def __init__(self, phrases: Iterable[tuple[str, Any]], strict: bool = True, min_key: int = MIN_KEY,
                 plurals: bool = False):
        """`plurals`: also find multi-word phrases with an "s" on their last word ("gift cards")."""
        self.strict = strict
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[Any, int]]] = {}
        for phrase, payload in phrases:
            words = [match_key(w) for w in _TOKEN_RE.findall(skeleton(phrase))]
            if len("".join(words)) < min_key:
                continue
            forms = [words]
            if plurals and len(words) > 1 and not words[-1].endswith("s"):
                forms.append([*words[:-1], words[-1] + "s"])
            for form in forms:
                if strict:
                    # Whole words between spaces; the phrase run together counts as one word.
                    keys = [(f" {' '.join(form)} ", len(form))] + ([(f" {''.join(form)} ", 1)] if len(form) > 1 else [])
                else:
                    keys = [("".join(form), 0)]
                for key, n in keys:
                    entries.setdefault(key, []).append((payload, n))
        for key, items in entries.items():
            self._automaton.add_word(key, (len(key), tuple(items)))
        self.size = len(entries)
        if self.size:
            self._automaton.make_automaton()

    def find(self, text: Prepared | str) -> list[tuple[Any, str, int]]:
        """(payload, matched words, index of the first word) for every phrase found, in text order."""
        p = text if isinstance(text, Prepared) else prepare(text)
        if not self.size or not p.key:
            return []
        return self._find_strict(p) if self.strict else self._find_loose(p)

    def _find_strict(self, p: Prepared) -> list[tuple[Any, str, int]]:
        out = []
        spaced, words = p.spaced, p.words
        spaces: list[int] | None = None  # positions of the word breaks, found once, on the first match
        for last, (length, items) in self._automaton.iter(spaced):
            if spaces is None:
                spaces = [i for i, ch in enumerate(spaced) if ch == " "]
            first = bisect_right(spaces, last - length)  # words before the match (linear overall)
            for payload, n in items:
                out.append((payload, " ".join(words[first:first + n]), first))
        return out

    def _find_loose(self, p: Prepared) -> list[tuple[Any, str, int]]:
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
            words = p.span_words(start, end)
            out.extend((payload, words, i) for payload, _ in items)
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
        return ctx.memo("text.brands.matcher", cls)

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
        # Each distinct (words, term) judged once: a text repeating the brand must stay linear.
        groups: dict[str, dict[tuple[str, str, str], None]] = {}
        for payload, words, _ in found:
            groups.setdefault(words, {})[payload] = None
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
                        if len(c) <= 4 and any(len(w) > 1 for w in words.split()) and " " not in self._folded[term]:
                            continue  # "lybr.at/t" is no "att"; "U.S.P.S" is "usps", letter by letter
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
