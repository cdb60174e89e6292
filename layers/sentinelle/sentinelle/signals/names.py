"""Name and handle similarity for impersonation, and blocked matchers for many names at once."""

from __future__ import annotations

import re
from array import array
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Iterable, Sequence

import ahocorasick
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Indel

from sentinelle.signals.domains import glyph_classes, glyph_skeleton
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
_GLUED_PREFIXES = ("official", "officiel", "real", "the", "vrai", "verified")
_GLUED_SUFFIXES = ("official", "officiel", "officielle", "offical", "oficial", "support", "helpdesk", "help", "team",
                   "verified", "service", "assistance")
_GLUED_PREFIX = re.compile(f"^(?:{'|'.join(_GLUED_PREFIXES)})+")
_GLUED_SUFFIX = re.compile(f"(?:{'|'.join(_GLUED_SUFFIXES)})+$")
_WORD_RE = re.compile(r"[^\W_]+")
_TRAILING_DIGITS = re.compile(r"\d+$")
_HANDLE_SEPARATORS = re.compile(r"[._\-\s]+")
_DIGITS_AT_ENDS = re.compile(r"^\d+|\d+$")
_LETTER = re.compile(r"[^\W\d_]")  # what str.isalpha accepts


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


@lru_cache(maxsize=4096)  # a profile's handle is reduced several times while it is assessed
def handle_core(handle: str | None) -> str:
    """A handle without separators, digits at its ends or claim words: "Real_Claire.Dubois_75" → "clairedubois"."""
    parts = [p for p in _HANDLE_SEPARATORS.split(skeleton(handle_local(handle))) if p]
    kept = list(parts)
    while len(kept) > 1 and (kept[0] in _HANDLE_AFFIXES or kept[0].isdigit()):
        kept.pop(0)
    while len(kept) > 1 and (kept[-1] in _HANDLE_AFFIXES or kept[-1].isdigit()):
        kept.pop()
    joined = "".join(kept)
    h = (_DIGITS_AT_ENDS.sub("", joined) or joined) if joined[:1].isdigit() or joined[-1:].isdigit() else joined
    h = deleet(h) if _LETTER.search(h) else h
    core = _GLUED_PREFIX.sub("", h) if h.startswith(_GLUED_PREFIXES) else h  # the tests first: most have none
    core = _GLUED_SUFFIX.sub("", core) if core.endswith(_GLUED_SUFFIXES) else core
    return core if len(core) >= 3 else h


def name_similarity(candidate: str | None, protected: str | None) -> int:
    """0-100: how alike a display name is to a protected name once folded (word order, spacing
    and titles ignored). A candidate that holds every word of a name of two words or more plus
    others ("Claire Dubois | Lumière Patrimoine") scores as the words it copies."""
    return tokens_similarity(name_tokens(candidate), name_tokens(protected))


def tokens_similarity(ta: Sequence[str], tb: Sequence[str]) -> int:
    """`name_similarity` on names already split into folded words (`name_tokens`)."""
    if not ta or not tb:
        return 0
    return _similarity(ta, " ".join(sorted(ta)), "".join(ta), tb, " ".join(sorted(tb)), "".join(tb))


def _similarity(ta: Sequence[str], ka: str, ra: str, tb: Sequence[str], kb: str, rb: str) -> int:
    """`tokens_similarity` given each name's sorted words (`k`) and words run together (`r`)."""
    score = max(fuzz.ratio(ka, kb, processor=None), fuzz.ratio(ra, rb, processor=None))
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
    return cores_match(handle_core(candidate), handle_core(official))


def cores_match(a: str, b: str) -> bool:
    """`handle_matches` on two handle cores already computed (`b` the protected one)."""
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


def typo_keys(word: str) -> list[str]:
    """`word` and each string made by deleting one of its letters (none shorter than 2).

    Two words of three letters or more within one typo of each other (a letter changed, added or
    dropped, or two letters swapped) always share one of these keys: the deletion-neighbourhood
    ("SymSpell") index.
    """
    if len(word) <= 2:
        return [word]
    return [word, *{word[:i] + word[i + 1:] for i in range(len(word))}]


_HASH = (1 << 48) - 1  # a typo key's hash, cut to 48 bits


@lru_cache(maxsize=4096)  # the words display names share (first names) come back often
def _typo_hashes(word: str) -> tuple[int, ...]:
    """The hashes of `typo_keys(word)`, built without the keys' list."""
    if len(word) <= 2:
        return (hash(word) & _HASH,)
    return tuple({hash(word) & _HASH, *[hash(word[:i] + word[i + 1:]) & _HASH for i in range(len(word))]})


_SHARED = 16  # a word held by this many protected names keeps its own lists to screen
_FEW = 64  # protected names or handles up to this many are all tested rather than looked up


class _TypoIndex:
    """Entries found by any word within one typo of one of their words.

    Compact, as a watchlist of 10,000 people makes about 800,000 keys: the keys (a typo key's hash
    and an entry) are sorted into buckets on the hash's top bits, about one key a bucket, behind a
    directory (4 bytes a bucket) that says where each bucket's keys start; each key keeps the
    hash's low 30 bits and its entry (4 bytes each), numbers Python handles without allocating
    much. A miss costs two reads, a hit a scan of a few keys. Two typo keys sharing a hash only add
    a candidate, which is then scored. A word that was added is answered from a table once looked
    up: display names mostly repeat the watchlist's own words (first names, common surnames); any
    other word is searched each time.
    """

    _ID_BITS = 22  # up to 4 million entries
    _LOW = (1 << _ID_BITS) - 1
    HANDLE = 1 << (_ID_BITS - 1)  # the bit that tells a handle core's entry from a name word's in a shared index

    def __init__(self) -> None:
        self._pending: set[int] = set()
        self._words: set[str] = set()
        self._starts = array("I", [0, 0])
        self._low = array("I")  # each key's hash, its low bits
        self._entries = array("I")  # each key's entry
        self._shift = 48
        self._mask = 0
        self._known: dict[str, tuple[int, ...]] = {}
        self._last: tuple[str | None, tuple[int, ...]] = (None, ())

    def add(self, word: str, entry: int) -> None:
        if entry > self._LOW:
            raise ValueError("too many entries for one typo index")
        self._pending.update((h << self._ID_BITS) | entry for h in _typo_hashes(word))
        self._words.add(word)

    def freeze(self) -> None:
        """Sort what was added; call once, after the last `add`."""
        keys = sorted(self._pending)
        self._pending = set()
        bits = max(10, min(len(keys).bit_length(), 28))
        self._shift = 48 - bits
        self._mask = (1 << min(self._shift, 30)) - 1
        hashes = [k >> self._ID_BITS for k in keys]
        self._low = array("I", [h & self._mask for h in hashes])
        self._entries = array("I", [k & self._LOW for k in keys])
        starts = array("I", bytes(4 * ((1 << bits) + 1)))
        for h in hashes:  # count each bucket's keys, then add the counts up
            starts[(h >> self._shift) + 1] += 1
        for b in range(1, len(starts)):
            starts[b] += starts[b - 1]
        self._starts = starts

    def lookup(self, word: str) -> tuple[int, ...]:
        """The entries within one typo of `word` (hashes sharing a key: a superset, then scored)."""
        known = self._known.get(word)
        if known is not None:
            return known
        if word == self._last[0]:  # the handle matcher asks for the name matcher's last word
            return self._last[1]
        found: set[int] = set()
        self._search(word, found)
        answer = tuple(found)
        if word in self._words:
            self._known[word] = answer
        else:
            self._last = (word, answer)
        return answer

    def _search(self, word: str, into: set[int]) -> None:
        starts, low, entries, shift, mask = self._starts, self._low, self._entries, self._shift, self._mask
        for h in _typo_hashes(word):
            b = h >> shift
            i, end = starts[b], starts[b + 1]
            if i < end:  # most buckets hold no key or one
                m = h & mask
                while i < end:
                    if low[i] == m:
                        into.add(entries[i])
                    i += 1


class HandleMatcher:
    """Handles against many protected handle cores: `handle_matches` on the candidates only.

    `handle_matches` accepts a handle whose core equals a protected core or is within one typo of
    it, or whose look-alike skeleton equals or is within one typo of the protected core's. Cores
    are indexed by the typo keys of their letter classes (`glyph_classes`, letter for letter, so
    one typo stays one) and of their skeleton: a pair that matches always shares one of these
    keys, so blocking on them finds every match that testing each core in turn would. A handle
    whose skeleton is its letter classes (no "rn", "vv", ... to fold) is looked up once.
    """

    def __init__(self, cores: Sequence[str], index: _TypoIndex | None = None) -> None:
        """`index`: a letter-class index shared with a `NameMatcher` (see `matchers`), frozen by
        the caller once both have added to it."""
        self.source = list(cores)
        self._cores = [handle_core(c) for c in self.source]  # what handle_matches compares
        self._index = index or _TypoIndex()
        if len(self._cores) >= _TypoIndex.HANDLE:
            raise ValueError("too many handle cores for one typo index")
        for j, b in enumerate(self._cores):
            if len(b) >= 4:  # handle_matches refuses shorter protected cores
                for form in {glyph_classes(b), glyph_skeleton(b)}:
                    self._index.add(form, j | _TypoIndex.HANDLE)
        if index is None:
            self._index.freeze()

    def candidates(self, handle: str) -> list[int]:
        """Indexes of the protected cores `handle` may match: a superset, never missing one."""
        return self._candidates(handle_core(handle))

    def _candidates(self, a: str) -> list[int]:
        found: set[int] = set()
        if a:
            for form in {glyph_classes(a), glyph_skeleton(a)}:
                found.update(i ^ _TypoIndex.HANDLE for i in self._index.lookup(form) if i & _TypoIndex.HANDLE)
        return sorted(found)

    def match(self, handle: str, exhaustive: bool = False) -> list[int]:
        """Indexes of the protected cores `handle` passes for (`exhaustive`: tests every core)."""
        if exhaustive:
            return [j for j in range(len(self.source)) if handle_matches(handle, self.source[j])]
        a = handle_core(handle)
        ids = range(len(self._cores)) if len(self._cores) <= _FEW else self._candidates(a)  # few: test them all
        return [j for j in ids if cores_match(a, self._cores[j])]


class NameMatcher:
    """Display names against many protected names: blocked by their words, scored exactly.

    A protected name is a candidate when the display name, its words run together, holds one of
    its words of four letters or more ("sophieriche" holds "sophie"), or when a word of the
    display name, or its words run together, is within one typo of one of the protected name's
    words or of its words run together (in their order or sorted). The candidates of each word found are
    screened in one `rapidfuzz` pass (compiled code) on the two strings `name_similarity` compares,
    and only those that can reach the cut-off, or whose every word was found (the "name plus other
    words" rule), are scored by `name_similarity`. A name escapes only if none of its words is
    written out whole and each of them, and its words run together, is two typos away or more.
    """

    def __init__(self, names: Sequence[str], classes: _TypoIndex | None = None) -> None:
        """`classes`: a letter-class index shared with a `HandleMatcher` (see `matchers`), frozen
        by the caller once both have added to it."""
        self.source = list(names)
        self._index = _TypoIndex()  # typo keys → word ids
        # The same words by the typo keys of their letter classes (`glyph_classes`): where a
        # display name's words run together are looked up. Shared with the handle matcher, which
        # looks up a handle's core, most often the same string: one search answers both.
        self._classes = classes or _TypoIndex()
        self._within = ahocorasick.Automaton()  # words of four letters or more → word id
        word_ids: dict[str, int] = {}
        self._names_of: list[list[int]] = []  # word id → the names holding it
        self._words: list[frozenset[int]] = []  # name → its key words (not run together), as ids
        self._tokens = [name_tokens(n) for n in self.source]
        for j, toks in enumerate(self._tokens):
            words = _key_words(toks)
            for w in {*words, "".join(toks), "".join(sorted(toks))}:
                if w not in word_ids:
                    word_ids[w] = len(self._names_of)
                    self._names_of.append([])
                    self._index.add(w, word_ids[w])
                    self._classes.add(glyph_classes(w), word_ids[w])
                    if len(w) >= 4:
                        self._within.add_word(w, word_ids[w])
                self._names_of[word_ids[w]].append(j)
            self._words.append(frozenset(word_ids[w] for w in words))
        if len(self._names_of) >= _TypoIndex.HANDLE:
            raise ValueError("too many name words for one typo index")
        self._index.freeze()
        if classes is None:
            self._classes.freeze()
        if len(self._within):
            self._within.make_automaton()
        # The two strings name_similarity compares; for a word many names share (a common first
        # name), kept as lists to be screened in one call without building them per display name.
        self._sorted = [" ".join(sorted(t)) for t in self._tokens]
        self._joined = ["".join(t) for t in self._tokens]
        text_of = {i: w for w, i in word_ids.items()}
        self._shared = {w: _Shared.of(text_of[w], js, self._tokens, self._sorted, self._joined)
                        for w, js in enumerate(self._names_of) if len(js) >= _SHARED}

    def match(self, display_name: str, cutoff: int = 85, exhaustive: bool = False) -> list[tuple[int, int]]:
        """(protected index, `name_similarity`) for every protected name scoring `cutoff` or more.

        `exhaustive` scores every protected name: the reference the blocked path must agree with.
        """
        toks = name_tokens(display_name)
        if not toks:
            return []
        key, run = " ".join(sorted(toks)), "".join(toks)
        ids: Iterable[int]
        if exhaustive:
            ids = range(len(self.source))
        else:
            words: set[int] = set()
            keep: set[int] = set()
            if len(self.source) > _FEW or len(toks) > 2:
                for w in _key_words(toks):
                    words.update(self._index.lookup(w))
                # One typo apart stays one apart in letter classes; a shared index also holds handle cores.
                words.update(i for i in self._classes.lookup(glyph_classes(run)) if not i & _TypoIndex.HANDLE)
                if len(self._within):
                    words.update(found for _, found in self._within.iter(run))
            if len(self.source) <= _FEW:  # a short list is screened whole, faster than looked up
                keep = self._screen(key, run, range(len(self.source)), self._sorted, self._joined, cutoff)
            else:
                few: list[int] = []
                for word in words:
                    names = self._names_of[word]
                    shared = self._shared.get(word)
                    if shared is not None:
                        keep |= self._screen(key, run, names, shared.sorted, shared.joined, cutoff,
                                             runs=shared.runs_to_screen(toks))
                    else:
                        few += names
                if few:
                    keep |= self._screen(key, run, few, *self._strings_of(few), cutoff)
            if len(toks) > 2:  # "name plus other words": every word of the protected name found
                keep |= {j for w in words for j in self._names_of[w] if self._words[j] <= words}
            ids = sorted(keep)
        out = []
        for j in ids:
            s = _similarity(toks, key, run, self._tokens[j], self._sorted[j], self._joined[j])
            if s >= cutoff:
                out.append((j, s))
        return out

    def _strings_of(self, names: list[int]) -> tuple[Sequence[str], Sequence[str]]:
        """The sorted-words and run-together strings of `names`, for `_screen`."""
        if len(names) == 1:
            return (self._sorted[names[0]],), (self._joined[names[0]],)
        pick = itemgetter(*names)
        return pick(self._sorted), pick(self._joined)

    @staticmethod
    def _screen(key: str, run: str, names: Sequence[int], sorted_keys: Sequence[str], joined: Sequence[str],
                cutoff: int, runs: tuple[Sequence[int], Sequence[str]] | None = None) -> set[int]:
        """The names whose sorted words, or words run together, are few enough edits away to score
        `cutoff`: `fuzz.ratio` ≥ r needs an Indel distance ≤ (1 - r/100)·(len a + len b), and a
        partner that long is at most (1 + t)/(1 - t) times as long (t = 1 - r/100). `runs`: the
        names (and their words run together) whose run-together form still needs a look, when
        the sorted words answer for the others."""
        t = 1 - (cutoff - 0.5) / 100  # name_similarity rounds its score
        keep = set()
        run_names, run_joined = runs if runs is not None else (names, joined)
        for query, who, choices in ((key, names, sorted_keys), (run, run_names, run_joined)):
            most = int(t * len(query) * (1 + (1 + t) / (1 - t)) + 1e-9)  # grows with the query's length
            for _, _, i in process.extract(query, choices, scorer=Indel.distance, processor=None, score_cutoff=most,
                                           limit=None):
                keep.add(who[i])
        return keep


@dataclass(frozen=True)
class _Shared:
    """The names holding a word many hold (a common first name), ready to be screened at once.

    A display name of two words, one of them this word, against a name of two words, one of them
    this word, in the same places (first or second once sorted, first or second as written):
    both their sorted and their run-together forms differ only by the other words, so by the same
    edits (a common prefix or suffix adds none), and the run-together form is the shorter query,
    with the smaller allowance. Whatever it would let through, the sorted form lets through:
    those names need no second look.
    """

    word: str
    sorted: list[str]
    joined: list[str]
    # (sorted place, written place) → the names not in that place, and their words run together
    runs: dict[tuple[int, int], tuple[list[int], list[str]]]

    @classmethod
    def of(cls, word: str, names: list[int], tokens: Sequence[Sequence[str]], sorted_keys: Sequence[str],
           joined: Sequence[str]) -> "_Shared":
        place = {j: _place(word, tokens[j]) for j in names}
        runs = {}
        for p in {p for p in place.values() if p is not None}:
            others = [j for j in names if place[j] != p]
            runs[p] = (others, [joined[j] for j in others])
        return cls(word, [sorted_keys[j] for j in names], [joined[j] for j in names], runs)

    def runs_to_screen(self, toks: Sequence[str]) -> tuple[list[int], list[str]] | None:
        """The names whose run-together form a display name of words `toks` must still be screened
        against (None: all of them)."""
        p = _place(self.word, toks)
        return None if p is None else self.runs.get(p)  # no name in that place: all of them


def _place(word: str, toks: Sequence[str]) -> tuple[int, int] | None:
    """Where `word` stands in a name of exactly two words, one of them `word`: (its place once the
    words are sorted, its place as written); None for any other name."""
    if len(toks) != 2 or (toks[0] == word) == (toks[1] == word):
        return None
    written = 0 if toks[0] == word else 1
    other = toks[1 - written]
    return (0 if word < other else 1), written


def matchers(names: Sequence[str], cores: Sequence[str]) -> tuple[NameMatcher, HandleMatcher]:
    """A name matcher and a handle matcher sharing one letter-class index: a display name's words
    run together and a handle's core are most often the same string ("claire_dubois" and "Claire
    Dubois"), looked up once for both."""
    shared = _TypoIndex()
    names_matcher, handles_matcher = NameMatcher(names, classes=shared), HandleMatcher(cores, index=shared)
    shared.freeze()
    return names_matcher, handles_matcher


def _key_words(toks: Sequence[str]) -> set[str]:
    """The words a name is found by: those of three letters or more (all of them if none is)."""
    long = {t for t in toks if len(t) >= 3}
    return long or set(toks)


__all__ = ["HandleMatcher", "NameIndex", "NameMatcher", "matchers", "TITLES", "cores_match", "handle_core", "handle_local",
           "handle_matches", "handle_similarity", "name_key", "name_similarity", "name_tokens", "tokens_similarity",
           "typo_keys"]
