"""Masking of sensitive values, so that nothing downstream of a detector ever sees them raw."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

DOT = "•"
_DOTS = DOT * 4

# Kinds whose every character identifies a person: only the kind is ever shown.
_KIND_ONLY = frozenset({"us_ssn", "fr_nir", "medical_record_number", "national_id"})

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def mask(kind: str, value: str) -> str:
    """The masked form of `value` found as `kind`; safe to print, log, store and alert on.

    Cards keep the first and last four digits (within what PCI DSS allows), IBANs the country and
    the last four (the check digits derive from the account: hidden too), phones the last two
    digits, e-mail addresses the first letter and the domain, secrets at most four leading
    characters (the provider prefix); national and medical ids show nothing but their kind.
    """
    value = value or ""
    if kind == "credit_card":
        d = _digits(value)
        return f"{d[:4]} {_DOTS} {_DOTS} {d[-4:]}" if len(d) >= 12 else f"[{kind}]"
    if kind == "iban":
        c = re.sub(r"[^0-9A-Za-z]", "", value).upper()
        return f"{c[:2]}{DOT * 2} {_DOTS} {c[-4:]}" if len(c) >= 12 else f"[{kind}]"
    if kind in _KIND_ONLY:
        return f"[{kind}]"
    if kind == "secret":
        compact = value.strip()
        if compact.startswith("-----BEGIN"):  # a key block: its header names the kind, not the key
            return compact.split("-----", 3)[1].join(("-----", "----- ")) + _DOTS
        # Short secrets give away too much with four characters; the prefix only names the provider.
        keep = min(4, len(compact) // 5)
        return compact[:keep] + _DOTS
    if kind == "phone_number":
        d = _digits(value)
        return DOT * 8 + d[-2:] if len(d) >= 6 else f"[{kind}]"
    if kind == "email_address":
        local, at, domain = value.strip().rpartition("@")
        return f"{local[:1]}{DOT * 3}@{domain}" if at and local else f"[{kind}]"
    if kind == "date_of_birth":
        year = _YEAR.search(value)
        return f"{DOT * 2}/{DOT * 2}/{year.group()}" if year else f"[{kind}]"
    if kind.startswith("policy:"):
        # Policy terms are the organisation's own words, but a pattern may catch anything.
        return redact(value)
    return f"[{kind}]"


# What a stranger publishes to be reached (a scam's call-back number, an impersonator's contact
# address) is the evidence a takedown or a police report needs; it is masked only in alerts.
CONTACTS = frozenset({"phone_number", "email_address"})


def redact(text: str, keep: frozenset[str] = frozenset()) -> str:
    """`text` with every sensitive value the recognizers can find replaced by its mask, except
    values of the kinds in `keep`.

    The safety net for logs, alerts and evidence snippets: it needs no context and errs on the
    side of masking (checksum-valid identifiers, secrets, e-mail addresses and phone numbers,
    and card-shaped numbers even when their checksum fails).
    """
    if not text:
        return text or ""
    return _redact(text, keep)


@lru_cache(maxsize=8192)
def _redact(text: str, keep: frozenset[str]) -> str:
    """`redact`, remembered: a finding's evidence repeats the same short strings (matched terms,
    domains, signal words) post after post, and each would be scanned by every recognizer."""
    from sentinelle.signals.identifiers import find_sensitive  # late: identifiers is heavier

    spans = find_sensitive(text)
    if not spans:
        return text
    out, pos = [], 0
    for start, end, kind in spans:
        if start < pos or kind in keep:
            continue
        out.append(text[pos:start])
        out.append(mask(kind, text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def redact_deep(value: Any, keep: frozenset[str] = frozenset()) -> Any:
    """`value` with `redact` applied to every string in it (dicts, lists and tuples walked)."""
    if isinstance(value, str):
        return redact(value, keep)
    if isinstance(value, dict):
        return {k: redact_deep(v, keep) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_deep(v, keep) for v in value]
    return value


def nothing_to_mask(*values: Any, keep: frozenset[str] = frozenset()) -> bool:
    """No recognizer can find anything to mask in any string of `values` (dicts, lists and tuples
    walked), values of the kinds in `keep` aside: the quick answer for a finding made of display
    names, handles and reasons such as "(92% alike)" that `redact_deep` would otherwise walk string
    by string. Each text's digits are counted as the values are walked, so a text with a number in
    it answers False ("maybe": `redact_deep` then decides) before the rest is read; the other tests
    read the texts in one pass. Texts found clean are remembered (a finding repeats the
    watchlist's names and handles and the domains it imitates), and not read again."""
    ids = _recognizers()
    emails_kept = "email_address" in keep
    known = _CLEAN[emails_kept]
    fresh: list[str] = []
    for value in values:
        if isinstance(value, str):
            texts = [value]
        elif isinstance(value, (dict, list, tuple)):
            texts = []
            _strings(value, texts)
        else:
            continue
        for text in texts:
            if text not in known:
                if not ids.too_few_digits(text):
                    return False
                fresh.append(text)
    if not fresh:
        return True
    if not ids.hint_free(fresh, emails_kept):
        return False
    if len(known) + len(fresh) > _CLEAN_MAX:
        known.clear()  # forgets the one-off texts with the rest; the watchlist's come back at once
    known.update(fresh)
    return True


# Texts known to hold nothing to mask, with e-mail addresses masked (False) or kept (True).
_CLEAN: dict[bool, set[str]] = {False: set(), True: set()}
_CLEAN_MAX = 50_000


@lru_cache(maxsize=1)
def _recognizers() -> Any:
    """`signals.identifiers`, imported on first use (it compiles every recognizer)."""
    from sentinelle.signals import identifiers

    return identifiers


def _strings(value: dict[Any, Any] | list[Any] | tuple[Any, ...], into: list[str]) -> None:
    """Every string in `value`, walked as `redact_deep` walks it (dict values, list and tuple items)."""
    for v in value.values() if isinstance(value, dict) else value:
        if type(v) is str:
            into.append(v)
        elif type(v) is int or v is None:  # the usual scores and counts, asked about first
            continue
        elif isinstance(v, (dict, list, tuple)):
            _strings(v, into)
        elif isinstance(v, str):
            into.append(v)


# A long token mixing capitals, small letters and digits is a key, whatever its provider: a
# person pasting one into a note has no word before it for the recognizers to go on.
_TOKEN = re.compile(r"(?<![A-Za-z0-9/+=_-])[A-Za-z0-9/+=_-]{32,}(?![A-Za-z0-9/+=_-])")


def _random_token(token: str) -> bool:
    return any(c.isupper() for c in token) and any(c.islower() for c in token) and any(c.isdigit() for c in token)


def redact_free_text(text: str | None) -> str | None:
    """`redact`, and lone random-looking tokens masked as secrets: for what people and platforms
    write into incidents (triage notes, assignees, allowlist reasons, takedown answers)."""
    if not text:
        return text
    text = redact(text)
    return _TOKEN.sub(lambda m: mask("secret", m.group()) if _random_token(m.group()) else m.group(), text)


def redact_free_deep(value: Any) -> Any:
    """`redact_free_text` over every string in `value` (dicts, lists and tuples walked)."""
    if isinstance(value, str):
        return redact_free_text(value)
    if isinstance(value, dict):
        return {k: redact_free_deep(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_free_deep(v) for v in value]
    return value
