"""Unicode folding, homoglyph skeletons and leetspeak undoing, with tables built once at import."""

from __future__ import annotations

import re
import unicodedata

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


_DROP = dict.fromkeys(_INVISIBLE + _combining_marks())
_FOLD_TABLE = str.maketrans({**_DROP, **_LATIN_EXTRA})
_SKELETON_TABLE = str.maketrans(_CONFUSABLES)
_ALL_CONFUSABLE = frozenset(_CONFUSABLES)
_LEET_TABLE = str.maketrans(_LEET)
_LEET_CHARS = frozenset(_LEET)
_LEET_SYMBOLS = "@$€|!+"

_TOKEN_RE = re.compile(r"[^\W_]+")
# A leet token: word characters with leet symbols inside (not at its ends: "free!" is not "freei").
_LEET_TOKEN_RE = re.compile(
    r"(?<![\w@$€|!+])(?=[\w@$€|!+]*[^\W\d_])[\w@$€|!+]*[\d@$€|!+][\w@$€|!+]*"
)  # a run of word and leet characters holding a letter and a leet character


def _fold(s: str, before: dict[int, str] | None) -> str:
    if s.isascii():
        return " ".join(s.lower().split())
    s = unicodedata.normalize("NFKD", s)
    if before is not None and not _ALL_CONFUSABLE.isdisjoint(s):
        s = s.translate(before)
    # casefold may produce new decomposable sequences (e.g. "İ" → "i̇"); the table drops their marks.
    s = s.casefold().translate(_FOLD_TABLE)
    if not s.isascii():
        s = unicodedata.normalize("NFC", s)  # recompose what has no Latin reading (Hangul, ...)
    return " ".join(s.split())


def fold(s: str) -> str:
    """Compatibility-folded, case-folded text without accents, invisible characters or extra spaces.

    Fullwidth and mathematical letters become plain ones (NFKC), "É" becomes "e", zero-width and
    bidi controls disappear, and runs of whitespace become one space.
    """
    return _fold(s, None) if s else ""


def skeleton(s: str) -> str:
    """`fold` plus confusable letters (Cyrillic, Greek, ...) mapped to the Latin ones they imitate."""
    return _fold(s, _SKELETON_TABLE) if s else ""


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
    if _LEET_CHARS.isdisjoint(s):
        return s
    return _LEET_TOKEN_RE.sub(_deleet_token, s)


def tokens(s: str) -> list[str]:
    """The alphanumeric words of `skeleton(s)`, in order."""
    return _TOKEN_RE.findall(skeleton(s))


def compact(s: str) -> str:
    """`skeleton(s)` without spaces or punctuation: "Maison-Lumière" → "maisonlumiere"."""
    return "".join(tokens(s))


__all__ = ["compact", "deleet", "fold", "skeleton", "tokens"]
