"""Name and handle similarity for impersonation, and a blocked matcher for many names at once."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable, Sequence

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from sentinelle.signals.domains import glyph_skeleton
from sentinelle.text.normalize import deleet, skeleton

# Words that dress a name up without changing whose name it is: titles, and the claims
# impersonators add ("official", "support", "real"). Dropped before comparing.
TITLES = frozenset("""
dr doctor docteur doc pr prof professeur professor mr mrs ms mme mlle mademoiselle madame monsieur m me
maitre sir dame
official officiel officielle officiels oficial offical real vrai vraie the le la les
verified certifie certifiee compte account page profile profil
support help helpdesk aide assistance service client clients customer care team equipe staff hq
""".split())

# Words added to a handle to pass for the real one: "claire_official", "the.claire", "claire_fr".
# Dropped when they stand apart (between "_", "." or "-"); only long, unambiguous claims are also
# dropped when glued on ("realclairedubois", "maisonlumieresupport"), so "dario" keeps its "io".
_HANDLE_AFFIXES = frozenset(
    {"official", "officiel", "officielle", "offical", "oficial", "real", "the", "support", "help", "team", "hq",
     "app", "info", "news", "service", "care", "desk", "vrai", "verified", "fr", "france", "en", "us", "uk", "io",
     "pro", "compte", "contact", "client", "clients", "ceo", "dr", "doc", "aide", "sav", "helpdesk",
     "assistance", "secure", "login", "online", "web", "page", "officialpage"})
_GLUED_PREFIX = re.compile(r"^(?:official|officiel|real|the|vrai|verified)+")
_GLUED_SUFFIX = re.compile(r"(?:official|officiel|officielle|offical|oficial|support|helpdesk|help|team|verified"
                           r"|service|assistance)+$")
_WORD_RE = re.compile(r"[^\W_]+")
_TRAILING_DIGITS = re.compile(r"\d+$")
_HANDLE_SEPARATORS = re.compile(r"[._\-\s]+")
_DIGITS_AT_ENDS = re.compile(r"^\d+|\d+$")


def name_tokens(name: str | None) -> list[str]:
    """A display name's words, folded (case, accents, look-alike letters, leetspeak), titles dropped."""
    if not name:
        return []
    words = _WORD_RE.findall(deleet(skeleton(name)))
    kept = [w for w in words if w not in TITLES and not w.isdigit()]
    return kept or words


def name_key(name: str | None) -> str:
    """The folded words in alphabetical order: word order does not make another person."""
    return " ".join(sorted(name_tokens(name)))


def handle_local(handle: str | None) -> str:
    """The account part of a handle: "@claire@mastodon.social" → "claire", "claire.bsky.social" → "claire"."""
    h = (handle or "").strip().lstrip("@")
    h = h.split("@", 1)[0]
    if h.endswith(".bsky.social"):
        h = h[: -len(".bsky.social")]
    return h


def handle_core(handle: str | None) -> str:
    """A handle without separators, digits at its ends or claim words: "Real_Claire.Dubois_75" → "clairedubois"."""
    parts = [p for p in _HANDLE_SEPARATORS.split(skeleton(handle_local(handle))) if p]
    kept = list(parts)
    while len(kept) > 1 and (kept[0] in _HANDLE_AFFIXES or kept[0].isdigit()):
        kept.pop(0)
    while len(kept) > 1 and (kept[-1] in _HANDLE_AFFIXES or kept[-1].isdigit()):
        kept.pop()
    h = _DIGITS_AT_ENDS.sub("", "".join(kept)) or "".join(kept)
    h = deleet(h) if any(c.isalpha() for c in h) else h
    core = _GLUED_SUFFIX.sub("", _GLUED_PREFIX.sub("", h))
    return core if len(core) >= 3 else h


def name_similarity(candidate: str | None, protected: str | None) -> int:
    """0-100: how alike a display name is to a protected name once folded (word order, spacing
    and titles ignored). A candidate that holds every word of a name of two words or more plus
    others ("Claire Dubois | Lumière Patrimoine") scores as the words it copies."""
    ta, tb = name_tokens(candidate), name_tokens(protected)
    if not ta or not tb:
        return 0
    ka, kb = " ".join(sorted(ta)), " ".join(sorted(tb))
    score = max(fuzz.token_sort_ratio(ka, kb, processor=None),
                fuzz.ratio("".join(ta), "".join(tb), processor=None))
    if len(tb) >= 2 and len(ta) > len(tb):
        best = [max(fuzz.ratio(w, x, processor=None) for x in ta) for w in tb]
        if min(best) >= 85:
            score = max(score, sum(best) / len(best))
    return round(score)


def handle_similarity(candidate: str | None, official: str | None) -> int:
    """0-100: how alike a handle is to an official handle or a squeezed name, after `handle_core`."""
    a, b = handle_core(candidate), handle_core(official)
    if not a or not b:
        return 0
    if a == b:
        return 100
    if min(len(a), len(b)) < 5:  # short handles: only an exact core counts
        return 0
    dist = min(OSA.distance(a, b), OSA.distance(glyph_skeleton(a), glyph_skeleton(b)))
    return max(0, round(100 * (1 - dist / max(len(a), len(b)))))


def handle_matches(candidate: str | None, official: str | None) -> bool:
    """A handle that passes for the official one: the same core (look-alike letters folded), or
    one edit from a core of six letters or more. One edit only: in a crowded namespace (crypto
    handles) two edits join too many different accounts."""
    a, b = handle_core(candidate), handle_core(official)
    if not a or not b or len(b) < 4:
        return False
    if a == b or glyph_skeleton(a) == glyph_skeleton(b):
        return True
    if len(b) < 6:
        return False
    if OSA.distance(a, b, score_cutoff=1) <= 1:
        return True
    return len(b) >= 8 and OSA.distance(glyph_skeleton(a), glyph_skeleton(b), score_cutoff=1) <= 1


def _block_keys(key: str) -> set[str]:
    """Blocking keys of a normalised name: the first and last three letters of each word.

    Two spellings of one name share a key unless both ends of every word were changed.
    """
    out = set()
    for w in key.split():
        if len(w) >= 3:
            out.add("<" + w[:3])
            out.add(">" + w[-3:])
        elif w:
            out.add("=" + w)
    return out


class NameIndex:
    """Matches many candidate names against many protected names without comparing every pair.

    Names are normalised with `name_key`, grouped into blocks by `_block_keys`, and each block
    is scored in one vectorised `rapidfuzz.process.cdist` call: only candidates and protected
    names that share a block are compared.
    """

    def __init__(self, names: Sequence[str], normalise=name_key):
        self.normalise = normalise
        self.source = list(names)
        self.keys = [normalise(n) for n in self.source]
        self.blocks: dict[str, list[int]] = defaultdict(list)
        for i, k in enumerate(self.keys):
            for b in _block_keys(k):
                self.blocks[b].append(i)

    def candidates(self, name: str) -> list[int]:
        """Indexes of the protected names that share a block with `name` (to be scored by the caller)."""
        return sorted({i for b in _block_keys(self.normalise(name)) for i in self.blocks.get(b, ())})

    def match_one(self, name: str, cutoff: int = 85) -> list[tuple[int, int]]:
        """(protected index, score) for the protected names that `name` is like, best first."""
        key = self.normalise(name)
        ids = sorted({i for b in _block_keys(key) for i in self.blocks.get(b, ())})
        if not key or not ids:
            return []
        found = process.extract(key, [self.keys[i] for i in ids], scorer=fuzz.token_sort_ratio,
                                processor=None, score_cutoff=cutoff, limit=None)
        return [(ids[j], round(score)) for _, score, j in found]

    def match_many(self, names: Iterable[str], cutoff: int = 85, workers: int = 1) -> dict[tuple[int, int], int]:
        """{(candidate index, protected index): score} for every pair at or above `cutoff`."""
        import numpy as np  # cdist answers with a numpy matrix; numpy comes with the online extra

        qkeys = [self.normalise(n) for n in names]
        by_block: dict[str, list[int]] = defaultdict(list)
        for q, k in enumerate(qkeys):
            for b in _block_keys(k):
                if b in self.blocks:
                    by_block[b].append(q)
        pairs: dict[tuple[int, int], int] = {}
        for b, qs in by_block.items():
            ids = self.blocks[b]
            scores = process.cdist([qkeys[q] for q in qs], [self.keys[i] for i in ids],
                                   scorer=fuzz.token_sort_ratio, processor=None, score_cutoff=cutoff,
                                   dtype=np.uint8, workers=workers)
            rows, cols = np.nonzero(scores)
            for r, c in zip(rows.tolist(), cols.tolist()):
                pairs[(qs[r], ids[c])] = int(scores[r, c])
        return pairs

    def match_naive(self, names: Iterable[str], cutoff: int = 85) -> dict[tuple[int, int], int]:
        """The nested loop `match_many` avoids; kept for the benchmark's comparison."""
        pairs = {}
        for q, n in enumerate(names):
            k = self.normalise(n)
            for i, p in enumerate(self.keys):
                s = fuzz.token_sort_ratio(k, p, processor=None, score_cutoff=cutoff)
                if s:
                    pairs[(q, i)] = round(s)
        return pairs


__all__ = ["NameIndex", "TITLES", "handle_core", "handle_local", "handle_matches", "handle_similarity",
           "name_key", "name_similarity", "name_tokens"]
