"""Unicode folding, homoglyph skeletons and leetspeak undoing, with tables built once at import."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from itertools import accumulate
from dataclasses import dataclass

# Invisible characters used to split words so filters miss them: zero-width spaces and joiners,
# bidirectional controls, word joiners, the byte-order mark and the soft hyphen.
_INVISIBLE = (
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x180E, 0x3164, 0xFEFF, 0xFFA0]
    + list(range(0x200B, 0x2010))
    + list(range(0x202A, 0x202F))
    + list(range(0x2060, 0x2070))
    + list(range(0xFE00, 0xFE10))  # variation selectors
)

# Letters that carry no combining mark to strip, yet read as plain Latin ones.
_LATIN_EXTRA = {
    "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ȷ": "j",
    "ħ": "h", "ŧ": "t", "ŀ": "l", "ƀ": "b", "ɨ": "i", "ʉ": "u",
}

# Confusables: letters of other scripts (and Latin variants) that look like Latin letters. They
# are mapped before casefolding because the look depends on the case: Greek "Μ" looks like "M"
# but its lower case "μ" looks like "u".
_CONFUSABLES = {
    # Cyrillic, upper then lower case
    "А": "a", "В": "b", "Е": "e", "З": "3", "І": "i", "Ј": "j", "К": "k", "М": "m", "Н": "h",
    "О": "o", "Р": "p", "С": "c", "Т": "t", "У": "y", "Х": "x", "Ѕ": "s", "Ԁ": "d", "Һ": "h",
    "Ӏ": "l", "Ԛ": "q", "Ԝ": "w", "Ь": "b", "Ү": "y", "Ԍ": "g", "Ѵ": "v",
    "а": "a", "в": "b", "е": "e", "з": "3", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h",
    "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "һ": "h",
    "ӏ": "l", "ԛ": "q", "ԝ": "w", "ь": "b", "п": "n", "г": "r", "ү": "y", "ԍ": "g", "ѵ": "v",
    "ҽ": "e", "є": "e",
    # Greek, upper then lower case
    "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n",
    "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x", "Ϲ": "c", "Ϳ": "j",
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
    "ο": "o", "ρ": "p", "σ": "o", "ς": "c", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c",
    "ϳ": "j",
    # Armenian, IPA and Lisu letters seen in spoofed names
    "օ": "o", "ս": "u", "ց": "g", "հ": "h", "ո": "n", "ա": "w", "ɑ": "a", "ɡ": "g", "ɩ": "i",
    "ǀ": "l", "ʏ": "y", "ꓲ": "i", "ꓳ": "o", "ꓴ": "u", "ꓮ": "a", "ꓰ": "e", "ꓢ": "s", "ꓔ": "t",
}

# Leetspeak: applied only inside tokens that also hold letters, so prices and phone numbers stay.
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
         "@": "a", "$": "s", "€": "e", "!": "i", "|": "l", "+": "t"}


def _combining_marks() -> list[int]:
    ranges = [(0x0300, 0x0370), (0x0483, 0x048A), (0x0591, 0x05C8), (0x0610, 0x061B),
              (0x064B, 0x0660), (0x1AB0, 0x1B00), (0x1DC0, 0x1E00), (0x20D0, 0x2100),
              (0xFE20, 0xFE30)]
    return [c for lo, hi in ranges for c in range(lo, hi) if unicodedata.combining(chr(c))
            or unicodedata.category(chr(c)) in ("Mn", "Me")]


# A regular expression drops marks faster than str.translate with a large table.
_DROP_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(set(_INVISIBLE + _combining_marks()))) + "]+")
_EXTRA_TABLE = str.maketrans(_LATIN_EXTRA)
_EXTRA_CHARS = frozenset(_LATIN_EXTRA)
_SKELETON_TABLE = str.maketrans(_CONFUSABLES)
_ALL_CONFUSABLE = frozenset(_CONFUSABLES)
_LEET_TABLE = str.maketrans(_LEET)
_LEET_CHARS = frozenset(_LEET)
_LEET_SYMBOLS = "@$€|!+"

_TOKEN_RE = re.compile(r"[^\W_]+")
# A leet token: word characters with leet symbols inside (not at its ends: "free!" is not "freei").
# A cheap first test: a leet character touching a letter (ASCII classes keep it fast; non-ASCII
# letters beside leet characters are rare, and skeleton text is mostly ASCII).
_LEET_HINT_RE = re.compile(r"[a-z][0-9@$€|!+]|[0-9@$€|!+][a-z]", re.IGNORECASE)
_LEET_TOKEN_RE = re.compile(
    r"(?<![\w@$€|!+])(?=[\w@$€|!+]*[^\W\d_])[\w@$€|!+]*[\d@$€|!+][\w@$€|!+]*"
)  # a run of word and leet characters holding a letter and a leet character


def _finish(s: str) -> str:
    # Marks are dropped after casefold, which may add some ("İ" folds to "i" + a combining dot).
    s = _DROP_RE.sub("", s.casefold())
    if not s.isascii():
        if not _EXTRA_CHARS.isdisjoint(s):
            s = s.translate(_EXTRA_TABLE)
        s = unicodedata.normalize("NFC", s)  # recompose what has no Latin reading (Hangul, ...)
    return " ".join(s.split())


def _skeleton_of(nfkd: str, folded: str) -> str:
    """The skeleton of a text, given its NFKD form and its fold (reused when nothing differs)."""
    sk = folded if _ALL_CONFUSABLE.isdisjoint(nfkd) else _finish(nfkd.translate(_SKELETON_TABLE))
    if not sk.isascii() and not _ALL_CONFUSABLE.isdisjoint(sk):
        sk = sk.translate(_SKELETON_TABLE)  # lookalikes that casefolding made ("ͅ" folds to "ι")
    return sk


def _fold_both(s: str) -> tuple[str, str]:
    """(fold(s), skeleton(s)), sharing the work: most texts hold no confusable at all."""
    if s.isascii():
        f = " ".join(s.lower().split())
        return f, f
    s = unicodedata.normalize("NFKD", s)
    f = _finish(s)
    return f, _skeleton_of(s, f)


def _fold(s: str, skeleton: bool) -> str:
    if s.isascii():
        return " ".join(s.lower().split())
    s = unicodedata.normalize("NFKD", s)
    return _skeleton_of(s, _finish(s)) if skeleton else _finish(s)


def fold(s: str) -> str:
    """Compatibility-folded, case-folded text without accents, invisible characters or extra spaces.

    Fullwidth and mathematical letters become plain ones (NFKC), "É" becomes "e", zero-width and
    bidi controls disappear, and runs of whitespace become one space.
    """
    return _fold(s, False) if s else ""


def skeleton(s: str) -> str:
    """`fold` plus confusable letters (Cyrillic, Greek, ...) mapped to the Latin ones they imitate."""
    return _fold(s, True) if s else ""


def _deleet_token(m: re.Match[str]) -> str:
    # Symbols at the ends are punctuation or handles ("free!", "@shop"), not letters in disguise.
    tok = m.group(0)
    core = tok.strip(_LEET_SYMBOLS)
    if not core:
        return tok
    i = tok.index(core)
    return tok[:i] + core.translate(_LEET_TABLE) + tok[i + len(core):]


def deleet(s: str) -> str:
    """Undo leetspeak in tokens that mix letters with digits or symbols ("m@is0n" → "maison").

    Tokens without letters (prices, phone numbers, "-50%") are left alone; "1" reads as "i".
    """
    if _LEET_CHARS.isdisjoint(s) or not _LEET_HINT_RE.search(s):
        return s
    return _LEET_TOKEN_RE.sub(_deleet_token, s)


def tokens(s: str) -> list[str]:
    """The alphanumeric words of `skeleton(s)`, in order."""
    return _TOKEN_RE.findall(skeleton(s))


def compact(s: str) -> str:
    """`skeleton(s)` without spaces or punctuation: "Maison-Lumière" → "maisonlumiere"."""
    return "".join(tokens(s))


# Word breaks that hashtags and handles hide: "MaisonLumiereDays" and "Lumiere2026" hold several
# words (one trailing digit is more often leetspeak: "numér0").
# (Explicit Latin ranges: Unicode classes make this regular expression several times slower.)
_HIDDEN_BREAK_RE = re.compile(
    r"(?<=[a-zß-öø-ÿ])(?=[A-ZÀ-ÖØ-Þ])"  # camel case
    r"|(?<=[A-Za-zß-öø-ÿÀ-ÖØ-Þ])(?=\d{2,}(?!\w))"  # a number glued to the end
)
# "l", "1" and "i" are interchangeable to the eye (and "1" reads as either): one letter for all.
_MATCH_TABLE = str.maketrans({"l": "i"})


def match_key(s: str) -> str:
    """The form phrases are matched in: skeleton, leetspeak undone, no spaces, "l" read as "i"."""
    return "".join(_TOKEN_RE.findall(deleet(skeleton(s)))).translate(_MATCH_TABLE)


@dataclass(slots=True)
class Prepared:
    """A text made ready for one-pass phrase matching: its words run together in `key`, plus
    where each word starts and ends there, so matches can be held to word boundaries."""

    text: str
    words: list[str]  # skeleton words with leetspeak undone, as shown in evidence
    key: str  # the words run together, in match_key's alphabet
    starts: list[int]  # offset in `key` where each word starts (sorted)
    ends: frozenset[int]  # offsets in `key` just past each word
    folded: str  # fold() of the text with its hidden word breaks opened ("#maison lumiere")
    spaced: str  # the words in match_key's alphabet, each between spaces: " gift card "

    def span_words(self, start: int, end: int) -> str:
        """The words that cover `key[start:end]`, joined by spaces."""
        i = bisect_left(self.starts, start)
        j = bisect_left(self.starts, end)
        return " ".join(self.words[i:j])


# Hashtags and handles are where words are glued together; scanning only them is much cheaper.
_TAGLIKE_RE = re.compile(r"[#@]\w+")


def _open_tag(m: re.Match[str]) -> str:
    return _HIDDEN_BREAK_RE.sub(" ", m.group(0))


def open_breaks(text: str) -> str:
    """`text` with the word breaks hidden in hashtags and handles (camel case, glued numbers) made
    into spaces: "#MaisonLumiereDays2026" → "#Maison Lumiere Days 2026"."""
    if "#" not in text and "@" not in text:
        return text
    return _TAGLIKE_RE.sub(_open_tag, text)


def prepare(text: str) -> Prepared:
    """Normalise `text` once for every phrase matcher that will read it."""
    text = text or ""
    folded, skel = _fold_both(open_breaks(text))
    words = _TOKEN_RE.findall(deleet(skel))
    ends = list(accumulate(map(len, words)))
    starts = [0, *ends[:-1]] if ends else []
    joined = " ".join(words).translate(_MATCH_TABLE)
    return Prepared(text, words, joined.replace(" ", ""), starts, frozenset(ends), folded, f" {joined} ")


__all__ = ["Prepared", "compact", "deleet", "fold", "match_key", "open_breaks", "prepare", "skeleton", "tokens"]
