"""Shaped things in scam text: discounts, phone numbers, premium short codes, crypto addresses."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher

from sentinelle.masking import CONTACTS, mask, redact
from sentinelle.watchlist import DEFAULT_REGIONS

# "-50%", "50 % off", "70% de réduction", "jusqu'à -80 %": on folded text (no accents, lower case).
DISCOUNT_RE = re.compile(
    r"(?<![\w.,])-\s?\d{1,2}\s?%|\b\d{1,2}\s?%\s?(?:off|de (?:remise|reduction|rabais)|sur tout|offerts?)\b"
)

# "send 0.1 BTC and receive 0.2 back", "envoyez 1 ETH, recevez-en 2 en retour": the doubling trick.
_CLAUSE = r"(?:[^.!?\n]|\.\d)"  # within one sentence ("0.1" does not end it)
DOUBLING_RE = re.compile(
    rf"\b(?:send|transfer|deposit|envoye[zr]|envoie|transfere[zr]|depose[zr])\b{_CLAUSE}{{0,30}}?\d"
    rf"{_CLAUSE}{{0,40}}?\b(?:receive|get|recevez|recevrez|recois|recevoir|recuperez|gagnez)\b"
    rf"{_CLAUSE}{{0,30}}?(?:\d|\bdouble\b|\bx ?2\b)"
)

# "5% daily returns", "rendement garanti de 30% par mois", "placement à 12 % par mois": a rate of
# return promised per period. A money word must say it is a return: "90% daily data" is a quota.
_RATE = r"\d{1,3}(?:[.,]\d+)? ?%"
_PERIOD = r"(?:daily|weekly|monthly|per (?:day|week|month)|a (?:day|week|month)|par (?:jour|semaine|mois))"
_RETURN = (r"(?:rendements?|profits?|gains?|returns?|roi|interest|interets|yield|earn(?:ings?)?|benefices?|placements?"
           r"|investissements?|investments?|invest|investissez)")
RATE_PROMISE_RE = re.compile(
    rf"\b{_RATE} (?:(?:de )?{_RETURN} {_PERIOD}|{_PERIOD} {_RETURN})\b"
    rf"|\b{_RETURN}\b(?: [\w']+){{0,3}}? (?:a |de |of |at )?{_RATE} {_PERIOD}\b"
)

# A run that may be a phone number: 8+ digits with the usual separators (a leading "+" is looked
# up separately: an optional prefix makes the expression try every position, twice as slow).
_PHONE_CANDIDATE_RE = re.compile(r"(?<![A-Za-z0-9])\d[\d \t.\-/()]{6,20}\d")  # not inside hex ids
_DIGITS = str.maketrans("", "", " \t.-/()+")
_DATE_RE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}(?:[ T]\d{1,2}[:h]\d{2})?")
_REGION_OF_LANG = {"fr": "FR", "en": "GB", "de": "DE", "es": "ES", "it": "IT", "nl": "NL", "pt": "PT"}
_PREMIUM = frozenset({phonenumbers.PhoneNumberType.PREMIUM_RATE, phonenumbers.PhoneNumberType.SHARED_COST})


@lru_cache(maxsize=8192)  # scam campaigns repeat their numbers
def _numbers_in(cand: str, regions: tuple[str, ...]) -> tuple[str, ...]:
    """Valid numbers (E.164) in one candidate run of digits, trying `regions` in turn."""
    for region in regions:
        try:
            number = phonenumbers.parse(cand, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return (phonenumbers.format_number(number, PhoneNumberFormat.E164),)
        if cand.startswith("+"):
            break
    if len(cand.translate(_DIGITS)) > 12:  # several numbers run together: the matcher splits them
        for region in regions:
            hits = list(PhoneNumberMatcher(cand, region, leniency=Leniency.VALID))
            if hits:
                return tuple(dict.fromkeys(
                    phonenumbers.format_number(h.number, PhoneNumberFormat.E164) for h in hits))
    return ()


def phone_numbers(text: str, lang: str | None = None, regions: tuple[str, ...] = DEFAULT_REGIONS) -> list[str]:
    """Valid phone numbers in `text`, in E.164, whatever the country. A number written without
    its country code is read as from the post's language's country, then from each of `regions`
    (the watchlist's) in turn. Each region tried costs a parse; "+" numbers need none."""
    first = _REGION_OF_LANG.get((lang or "").split("-")[0].lower())
    regions = (first, *(r for r in regions if r != first)) if first else regions
    found: list[str] = []
    for m in _PHONE_CANDIDATE_RE.finditer(text):
        cand = m.group(0)
        if m.start() and text[m.start() - 1] == "+":
            cand = "+" + cand
        if 8 <= len(cand.translate(_DIGITS)) <= 30 and not _DATE_RE.fullmatch(cand):
            found += [n for n in _numbers_in(cand, regions) if n not in found]
    return found


@lru_cache(maxsize=8192)
def is_premium_rate(e164: str) -> bool:
    """Whether a number (E.164) costs the caller more than a normal call: a scam's revenue."""
    try:
        return phonenumbers.number_type(phonenumbers.parse(e164)) in _PREMIUM
    except phonenumbers.NumberParseException:
        return False


# "text WIN to 87121", "envoyez STOP au 36180": a premium-rate short code as the contact route.
SHORT_CODE_RE = re.compile(
    r"\b(?:text|txt|send|reply|sms|envoyez|envoie|tapez)\b[^.!?\n]{0,30}?\b(?:to|au|a)\s+(?:no\W{0,2}\s*)?(\d{5,6})\b"
)
# Crypto-currency addresses: Bitcoin (legacy and bech32), Ethereum-style, Tron, Solana-like base58.
_LONG_RUN_RE = re.compile(r"[0-9A-Za-z]{25,}")  # a cheap test before the costly one
CRYPTO_RE = re.compile(
    r"\b(?:0x[a-fA-F0-9]{40}"
    r"|bc1[ac-hj-np-z02-9]{25,62}"
    r"|[13][a-km-zA-HJ-NP-Z1-9]{25,34}"
    r"|T[1-9A-HJ-NP-Za-km-z]{33}"
    r"|[1-9A-HJ-NP-Za-km-z]{32,44})\b"
)
# Card-shaped runs (13 to 19 digits with spaces or dashes) and IBAN-shaped ones, masked wherever
# text is shown (whether or not their checksum holds: masking errs on the safe side).
_CARDLIKE_RE = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_IBANLIKE_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")


def short_codes(folded: str) -> list[str]:
    return SHORT_CODE_RE.findall(folded)


def _looks_like_address(s: str) -> bool:
    # Long base58 runs that are words or identifiers in disguise lack the mix of an address.
    if s.startswith(("0x", "bc1")):
        return True
    return any(c.isdigit() for c in s) and any(c.isupper() for c in s) and any(c.islower() for c in s)


def crypto_addresses(text: str) -> list[str]:
    out: list[str] = []
    if not _LONG_RUN_RE.search(text):
        return out
    for m in CRYPTO_RE.finditer(text):
        a = m.group(0)
        if _looks_like_address(a) and a not in out:
            out.append(a)
    return out


def mask_cards(text: str) -> str:
    """`text` with every value `sentinelle.masking.redact` knows masked (a NIR as a NIR, not as a
    card), then card- and IBAN-shaped numbers (as `sentinelle.masking.mask` shows them)."""
    text = redact(text, CONTACTS)  # the scam's call-back number is evidence
    text = _IBANLIKE_RE.sub(lambda m: mask("iban", m.group(0)), text)
    return _CARDLIKE_RE.sub(lambda m: mask("credit_card", m.group(0)), text)


__all__ = ["DISCOUNT_RE", "DOUBLING_RE", "RATE_PROMISE_RE", "crypto_addresses", "is_premium_rate", "mask_cards", "phone_numbers",
           "short_codes"]
