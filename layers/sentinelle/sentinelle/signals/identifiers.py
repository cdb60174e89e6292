"""Validated identifiers in free text: each recognizer pairs a pattern, a validator and context words."""

from __future__ import annotations

import base64
import binascii
import json
import math
import bisect
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Callable, Iterable, Iterator

import ahocorasick
import phonenumbers
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.fr import nir as std_nir
from stdnum.gb import nhs as std_nhs
from stdnum.us import ssn as std_ssn

from sentinelle.watchlist import DEFAULT_REGIONS

KINDS = ("credit_card", "iban", "us_ssn", "fr_nir", "phone_number", "email_address", "date_of_birth",
         "medical_record_number", "secret")

# A match at or above this score is reported; below it, it only feeds `find_sensitive` (masking).
REPORT = 40
# Reported matches below this score are *possible* values: the shape and checksum fit but no word
# says what the number is (nine bare digits following the SSN rules). The detector records them at
# low severity, below the alert threshold, so a reviewer can look without anyone being paged.
POSSIBLE = 45
# The score of values that fit a kind's rules while a word says they are something else: never
# reported, but masked in evidence and logs all the same (masking errs on the safe side).
MASK_ONLY = 10

# How far around a value context words count (characters); posts are short, sentences shorter.
_WINDOW = 48


@dataclass(frozen=True, slots=True)
class Match:
    """One identifier found in a text, with the evidence for it."""

    kind: str
    start: int
    end: int
    value: str  # the raw text: callers mask it before it leaves the detector
    score: int  # 0-100: how sure we are that this is a `kind`
    reasons: tuple[str, ...]
    subtype: str = ""  # brand, provider or national scheme, e.g. "visa", "aws_access_key", "uk_nhs"
    # For phones and e-mail addresses: "personal", "organisation" or "" when the text does not say.
    context: str = ""

    @property
    def normalized(self) -> str:
        """The value without separators or case, so that spellings of one value dedup together."""
        if self.kind in ("secret", "date_of_birth"):
            return self.value.strip()
        if self.kind == "email_address":
            return self.value.strip().lower()
        return re.sub(r"[^0-9A-Za-z]", "", self.value).upper()


def _words(*words: str) -> re.Pattern[str]:
    """One compiled alternation of context words, matched on word boundaries in folded text."""
    alts = sorted({re.escape(w.casefold()) for w in words}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)")


def _near(ctx: re.Pattern[str], low: str, start: int, end: int, before: int = _WINDOW,
          after: int = _WINDOW) -> str | None:
    """The first context word that ends within `before` characters ahead of the value or starts
    within `after` characters after it (a phrase cut by the window edge still counts)."""
    lo = max(0, start - before)
    for m in ctx.finditer(low, max(0, lo - 24), min(len(low), end + after + 24)):
        if m.end() > lo and m.start() < end + after:
            return m.group()
    return None


# ---------------------------------------------------------------------------------------------
# Context words (English and French)

CARD_WORDS = _words(
    "card", "credit card", "debit card", "card number", "carte", "carte bancaire", "carte bleue", "cb",
    "numéro de carte", "visa", "mastercard", "amex", "american express", "maestro", "discover", "jcb",
    "diners", "cvv", "cvc", "cvv2", "cryptogramme", "exp", "expiry", "expiration", "expire", "paiement",
    "payment", "pay", "payer")
_DOCUMENT_NUMBERS = (
    "siret", "siren", "rcs", "tva", "vat", "order", "commande", "tracking", "suivi", "colis", "parcel",
    "facture", "invoice", "ref", "réf", "référence", "reference", "isbn", "ean", "barcode", "imei",
    "transaction", "ticket", "dossier", "mrn")
NOT_CARD_WORDS = _words(*_DOCUMENT_NUMBERS)
# Words that say a bare number is something else: a possible SSN or NHS number next to them is not.
OTHER_NUMBER_WORDS = _words(
    *_DOCUMENT_NUMBERS, "tel", "tél", "telephone", "téléphone", "phone", "fax", "ph", "mob", "mobile",
    "cell", "portable", "call", "dial", "appel", "appelez", "contact", "whatsapp", "sms", "helpline", "zip",
    "postcode", "code postal", "account", "compte", "acct", "iban")
# Words that name another number outright: they win even over card words ("carte vitale").
NEVER_CARD_WORDS = _words("siret", "siren", "nir", "sécu", "secu", "vitale", "carte vitale", "iban", "imei",
                          "isbn", "insee", "sécurité sociale", "securite sociale", "social security")
IBAN_WORDS = _words("iban", "rib", "bic", "swift", "virement", "compte", "account", "bank", "banque",
                    "transfer", "wire")
SSN_WORDS = _words("ssn", "ssn#", "social security", "social security number", "social security no",
                   "social sec", "ss#", "taxpayer")
NIR_WORDS = _words("nir", "sécu", "secu", "sécurité sociale", "securite sociale", "carte vitale", "vitale",
                   "insee", "numéro de sécurité sociale", "assuré", "assurée", "assuré social",
                   "social security", "ssn", "numéro de sécu")
PHONE_PERSONAL = _words(
    "my number", "my phone", "my cell", "my mobile", "call me", "text me", "reach me", "whatsapp me",
    "his number", "her number", "their number", "personal", "private number", "private line", "private phone",
    "numéro privé", "ligne privée", "home phone", "cell",
    "mon numéro", "mon num", "mon tel", "mon tél", "mon téléphone", "mon portable", "mon 06", "mon 07",
    "appelle-moi", "appelez-moi", "rappelle-moi", "rappelez-moi", "joignable", "perso", "son numéro",
    "son portable", "son tel", "son tél", "ses coordonnées", "numéro perso", "portable", "domicile",
    "patient", "patiente", "du client", "de la cliente", "customer's", "client's", "whatsapp me", "sms me",
    "send me an sms", "envoie-moi un sms", "envoyez-moi un sms", "texte-moi")
PHONE_ORG = _words(
    "service client", "service clients", "customer service", "customer care", "call us", "contact us",
    "appelez-nous", "contactez-nous", "nous contacter", "notre numéro", "our number", "hotline", "standard",
    "accueil", "support", "sav", "helpline", "appel gratuit", "numéro vert", "toll free", "toll-free",
    "switchboard", "reception", "réception", "secrétariat", "rdv", "rendez-vous", "appointments")
EMAIL_PERSONAL = _words(
    "my email", "my e-mail", "my mail", "my address", "email me", "e-mail me", "write to me", "his email",
    "her email", "personal", "private", "mon mail", "mon e-mail", "mon email", "mon adresse", "mail perso",
    "adresse perso", "écrivez-moi", "ecrivez-moi", "écris-moi", "ecris-moi", "son mail", "son email",
    "son adresse", "patient", "patiente", "du client", "de la cliente", "customer's", "client's")
EMAIL_ORG = _words("contact us", "write to us", "contactez-nous", "écrivez-nous", "ecrivez-nous",
                   "support", "service client", "press", "presse", "careers", "recrutement", "jobs")
FREEMAIL = frozenset({
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.fr", "outlook.com", "outlook.fr", "live.com",
    "live.fr", "msn.com", "yahoo.com", "yahoo.fr", "ymail.com", "icloud.com", "me.com", "aol.com",
    "proton.me", "protonmail.com", "gmx.com", "gmx.fr", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr",
    "laposte.net", "neuf.fr", "bbox.fr", "numericable.fr", "mail.com", "zoho.com", "tutanota.com"})
DOB_WORDS = _words(
    "born", "born on", "date of birth", "birth date", "birthdate", "dob", "d.o.b", "d.o.b.", "birthday",
    "né le", "née le", "né", "née", "nee le", "ne le", "date de naissance", "naissance", "ddn",
    "fecha de nacimiento", "geboren", "geburtsdatum")
MEDICAL_WORDS = _words(
    "patient", "patiente", "patients", "mrn", "medical record", "medical record number", "health record",
    "dossier patient", "dossier médical", "dossier medical", "n° de dossier", "numéro de dossier",
    "ipp", "nhs", "nhs number", "medicare", "mbi", "hospital", "hôpital", "hopital", "clinic", "clinique",
    "diagnosis", "diagnostic", "ordonnance", "prescription", "consultation", "admitted", "hospitalisé",
    "hospitalisée", "médecin", "medecin", "doctor", "docteur", "dr", "traitement", "treatment")
# Substrings without which no credential keyword can be there (a cheap test before the patterns).
# ("pwd" holds "pw", "mot de passe" holds "pass"; one automaton pass finds any of them.)
_CREDENTIAL_HINTS = ahocorasick.Automaton()
for _w in ("pass", "pw", "mdp", "secret", "token", "key", "auth", "credential"):
    _CREDENTIAL_HINTS.add_word(_w, _w)
_CREDENTIAL_HINTS.make_automaton()


def _credential_words(low: str) -> bool:
    return next(_CREDENTIAL_HINTS.iter(low), None) is not None


# ---------------------------------------------------------------------------------------------
# Payment cards: Luhn (python-stdnum) plus issuer prefixes and lengths.

# (brand, prefix ranges as (low, high) strings of equal length, allowed lengths)
_BRANDS: tuple[tuple[str, tuple[tuple[str, str], ...], frozenset[int]], ...] = (
    ("visa", (("4", "4"),), frozenset({13, 16, 19})),
    ("mastercard", (("51", "55"), ("2221", "2720")), frozenset({16})),
    ("amex", (("34", "34"), ("37", "37")), frozenset({15})),
    ("mir", (("2200", "2204"),), frozenset(range(16, 20))),
    ("discover", (("6011", "6011"), ("644", "649"), ("65", "65")), frozenset(range(16, 20))),
    ("unionpay", (("62", "62"), ("81", "81")), frozenset(range(16, 20))),
    ("jcb", (("35", "35"),), frozenset(range(16, 20))),  # 3528-3589 assigned; the rest of 35 unused
    ("jcb", (("1800", "1800"), ("2131", "2131")), frozenset({15, 16})),
    ("diners", (("300", "305"), ("3095", "3095"), ("36", "36"), ("38", "39")), frozenset(range(14, 20))),
    ("maestro", (("50", "50"), ("56", "69")), frozenset(range(12, 20))),
    ("uatp", (("1", "1"),), frozenset({15})),
)


def card_brand(digits: str) -> str | None:
    """The card scheme whose prefix and length fit `digits`, if any (not a checksum: see luhn)."""
    n = len(digits)
    for brand, ranges, lengths in _BRANDS:
        if n in lengths and any(lo <= digits[: len(lo)] <= hi for lo, hi in ranges):
            return brand
    return None


# Grouped 4-4-4-x, Amex 4-6-5, or one run; separators consistent within a number.
_CARD = re.compile(
    r"(?<![\w/.,:-])(?:\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{4,5}|\d{12,19})(?![\w/]|[.,:-]\d)")
# The lengths and schemes that collide with everyday numbers (SIRET has 14 digits, NIR 15 and
# starting with 1, order numbers 12-13) need a card word nearby; 15 and 16 digits are the norm.
_CARD_NEEDS_CONTEXT = frozenset({"uatp", "diners"})


def _cards(text: str, low: str) -> Iterator[Match]:
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if not luhn.is_valid(digits):
            continue
        brand = card_brand(digits)
        if brand is None:
            continue
        if _near(NEVER_CARD_WORDS, low, m.start(), m.end(), before=32, after=8):
            continue
        pos = _near(CARD_WORDS, low, m.start(), m.end())
        neg = _near(NOT_CARD_WORDS, low, m.start(), m.end(), before=24, after=8)
        reasons = [f"{len(digits)}-digit number passing the Luhn check",
                   f"{brand} issuer prefix and length"]
        rare = brand in _CARD_NEEDS_CONTEXT or len(digits) not in (15, 16)
        score = 45 if rare else 65
        if pos:
            score += 30
            reasons.append(f"card context nearby (“{pos}”)")
        elif neg:
            score -= 40
            reasons.append(f"looks like another kind of number (“{neg}” nearby)")
        elif rare:
            score -= 10
        yield Match("credit_card", m.start(), m.end(), m.group(), min(score, 98), tuple(reasons), brand)


# ---------------------------------------------------------------------------------------------
# IBAN: mod-97 and per-country length and format (python-stdnum).

# Country, check digits, then 11-30 letters or digits, however grouped (spaces, dots, dashes):
# one character per step keeps the pattern linear; python-stdnum decides.
_IBAN = re.compile(r"(?<![\w])[A-Z]{2} ?\d{2}(?:[ .-]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")


def _ibans(text: str, low: str) -> Iterator[Match]:
    for m in _IBAN.finditer(text):
        cand = m.group()
        # The greedy pattern may swallow a following word ("... 8901 X"): try shorter cuts.
        cuts = [cand] + [cand[: i] for i in range(len(cand) - 1, 14, -1) if cand[i] in " .-"]
        for c in cuts:
            if std_iban.is_valid(c):
                reasons = ["IBAN with a valid mod-97 check and the length of its country"]
                score = 85
                ctx = _near(IBAN_WORDS, low, m.start(), m.start() + len(c))
                if ctx:
                    score = 95
                    reasons.append(f"bank context nearby (“{ctx}”)")
                yield Match("iban", m.start(), m.start() + len(c), c, score, tuple(reasons), c[:2])
                break


# ---------------------------------------------------------------------------------------------
# US SSN (issuing rules, python-stdnum) and French NIR (control key, python-stdnum).

# 123-45-6789 with one separator throughout; or nine digits grouped some other way (bare, 3-6, 5-4,
# mixed separators), which people type too but which other numbers share.
_SSN = re.compile(r"(?<![\w.-])(?:(?P<fmt>\d{3}([- .])\d{2}\2\d{4})|(?P<bare>\d{9})|(?P<three>\d{3}-\d{6})"
                  r"|(?P<zip>\d{5}-\d{4})|\d{3}[- .]\d{2}[- .]\d{4})(?![\w-]|\.\d)")
# Without an SSN word, bare and 3-6 are possible SSNs; a 5-4 (ZIP+4 code) or mixed one is nothing.
_SSN_POSSIBLE = ("bare", "three")


def _possible(low: str, start: int, end: int, what: str) -> tuple[int, str]:
    """(score, reason) of digits that fit a kind's rules while no context word says what they are:
    a possible value, or only masked when a word nearby names another kind of number."""
    if _near(OTHER_NUMBER_WORDS, low, start, end):
        return MASK_ONLY, "another kind of number is named nearby"
    return REPORT, f"no word says what it is: possibly {what}"


def _ssns(text: str, low: str) -> Iterator[Match]:
    for m in _SSN.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if not std_ssn.is_valid(digits):
            continue
        ctx = _near(SSN_WORDS, low, m.start(), m.end())
        shape = m.lastgroup or "mixed"
        reasons = ["number following the SSN issuing rules (area, group, serial)"]
        if ctx:
            score = 95 if shape == "fmt" else 85
            reasons.append(f"SSN context nearby (“{ctx}”)")
        elif shape == "fmt":
            score = 60
        elif shape in _SSN_POSSIBLE:
            score, why = _possible(low, m.start(), m.end(), "an SSN")
            reasons.append(why)
        else:
            continue  # a ZIP+4 code or a typo: nothing says SSN
        yield Match("us_ssn", m.start(), m.end(), m.group(), score, tuple(reasons), "us")


_NIR = re.compile(
    r"(?<![\w])[1-478] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[ABab]) ?\d{3} ?\d{3} ?\d{2}(?![\w])")


def _nirs(text: str, low: str) -> Iterator[Match]:
    for m in _NIR.finditer(text):
        if not std_nir.is_valid(m.group()):
            continue
        reasons = ["French social-security number (NIR) with a valid control key"]
        score = 80
        ctx = _near(NIR_WORDS, low, m.start(), m.end())
        if ctx:
            score = 97
            reasons.append(f"social-security context nearby (“{ctx}”)")
        yield Match("fr_nir", m.start(), m.end(), m.group(), score, tuple(reasons), "fr")


# ---------------------------------------------------------------------------------------------
# Medical record numbers: hospital-specific, so a record keyword must introduce them; plus the
# national health numbers that carry a checksum (UK NHS) or a strict format (US Medicare MBI).

_MRN = re.compile(
    r"(?i)(?<![\w])(?:mrn|medical record(?: number| no\.?| #)?|patient (?:id|number|no\.?|#)|"
    r"dossier(?: patient| médical| medical)?|n° de dossier|num(?:é|e)ro de dossier|ipp|nda)"
    r"\s*(?:n°|no\.?|nº|#|number|num(?:é|e)ro)?\s*[:#]?\s*"
    r"(?P<id>[A-Z]{0,4}[-/]?\d[\d-]{3,14}\d)(?![\w])")
_NHS = re.compile(r"(?<![\w-])\d{3}([ -]?)\d{3}\1\d{4}(?![\w-])")
_MBI = re.compile(
    r"(?i)(?<![\w-])[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y\d]\d-?[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y\d]\d-?"
    r"[AC-HJKMNP-RT-Y]{2}\d{2}(?![\w-])")


_MRN_HINT = re.compile(r"mrn|medical record|patient|dossier|ipp|nda")


def _medical(text: str, low: str) -> Iterator[Match]:
    for m in _MRN.finditer(text) if _MRN_HINT.search(low) else ():
        yield Match("medical_record_number", m.start("id"), m.end("id"), m.group("id"), 80,
                    ("identifier introduced as a medical record number",), "mrn")
    for m in _NHS.finditer(text):
        if not std_nhs.is_valid(m.group()):
            continue
        ctx = _near(MEDICAL_WORDS, low, m.start(), m.end())
        reasons = ["UK NHS number with a valid check digit"]
        if ctx:
            score = 75
            reasons.append(f"medical context nearby (“{ctx}”)")
        elif m.group(1):
            score = 45  # the 3-3-4 grouping is the NHS's own; phones group otherwise
        else:  # ten bare digits (a valid phone reading outscores them)
            score, why = _possible(low, m.start(), m.end(), "an NHS number")
            reasons.append(why)
        yield Match("medical_record_number", m.start(), m.end(), m.group(), score, tuple(reasons), "uk_nhs")
    for m in _MBI.finditer(text):
        ctx = _near(MEDICAL_WORDS, low, m.start(), m.end())
        reasons = ["US Medicare beneficiary identifier (MBI) format"]
        score = 60
        if ctx:
            score = 85
            reasons.append(f"medical context nearby (“{ctx}”)")
        yield Match("medical_record_number", m.start(), m.end(), m.group(), score, tuple(reasons), "us_mbi")


# ---------------------------------------------------------------------------------------------
# Phones (phonenumbers) and e-mail addresses; whose they are is read from the words around.

# Candidates: an optional country code, groups of digits (with brackets, dots, dashes, spaces) and
# an optional extension; phonenumbers then decides (faster than its own matcher on every text).
_PHONE = re.compile(
    r"(?<![\w+/.-])(?:\+|00)?\(?\d[\d().\s-]{5,22}\d(?:\s?(?:x|ext\.?|poste)\s?\d{1,6})?(?![\w/-]|[.,]\d)")


# Number types that belong to businesses, never to a person (premium-rate lines, 0800 numbers...).
_BUSINESS_LINES = {
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll-free", phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium-rate",
    phonenumbers.PhoneNumberType.SHARED_COST: "shared-cost", phonenumbers.PhoneNumberType.UAN: "universal access",
}
_GROUPED = re.compile(r"^(?:\+|00)|\d[\s.()-]+\d")
_EXTENSION = re.compile(r"(?i)\s?(?:x|ext\.?|poste)\s?(?=\d)")


@lru_cache(maxsize=4096)
def _phone_number(raw: str, regions: tuple[str, ...] = DEFAULT_REGIONS) -> tuple[phonenumbers.PhoneNumber | None, bool]:
    """The number and whether it is valid (in an allocated range) rather than merely possible.
    Possible-only numbers count when written like phone numbers (grouped, or international):
    allocation tables lag behind, and fictional or new ranges are still someone's phone."""
    number, *extension = _EXTENSION.split(raw, 1)
    digits = sum(c.isdigit() for c in number)  # an extension is not part of the number's length
    if not 7 <= digits <= 17:
        return None, False
    spelled = number + (" ext. " + extension[0] if extension else "")  # phonenumbers knows no "poste"
    possible = None
    for region in regions:  # a number without its country code, read as from each in turn
        try:
            num = phonenumbers.parse(spelled, region)
        except phonenumbers.NumberParseException:
            return None, False
        if phonenumbers.is_valid_number(num):
            return num, True
        if possible is None and phonenumbers.is_possible_number(num):
            possible = num
        if raw.lstrip("(").startswith(("+", "00")):
            break  # an international number has no other reading
    if possible is not None and _GROUPED.search(raw):
        return possible, False
    return None, False


class _Spans:
    """Spans (possibly overlapping) asked "does one cover this position?" in O(log n): a post
    with thousands of numbers must not compare each candidate with every span."""

    def __init__(self, spans: Iterable[tuple[int, int]]):
        ordered = sorted(spans)
        self._starts = [s for s, _ in ordered]
        self._reach: list[int] = []  # the furthest end among the spans up to each one
        for _, end in ordered:
            self._reach.append(max(end, self._reach[-1]) if self._reach else end)

    def cover(self, pos: int) -> bool:
        i = bisect.bisect_right(self._starts, pos) - 1
        return i >= 0 and self._reach[i] > pos


def _phones(text: str, low: str, taken: Iterable[tuple[int, int]] = (),
            claimed: Iterable[tuple[int, int]] = (), regions: tuple[str, ...] = DEFAULT_REGIONS) -> Iterator[Match]:
    """Phone numbers, skipping `taken` spans (surely something else) and, unless the number is
    valid, `claimed` ones (possibly something else: an SSN's digits are not a phone's to take)."""
    surely, possibly = _Spans(taken), _Spans(claimed)
    for m in _PHONE.finditer(text):
        raw = m.group().rstrip(").- ")
        if raw.count("(") != raw.count(")"):
            raw = raw.lstrip("(")
        start = m.start() + m.group().index(raw)
        if surely.cover(start):
            continue  # already a card, IBAN or NIR: parsing it as a phone is wasted time
        num, valid = _phone_number(raw, regions)
        if num is None or (not valid and possibly.cover(start)):
            continue
        end = start + len(raw)
        personal = _near(PHONE_PERSONAL, low, start, end)
        org = _near(PHONE_ORG, low, start, end)
        business = None
        if valid:
            kind = phonenumbers.number_type(num)
            business = _BUSINESS_LINES.get(kind)
            reasons = ["valid phone number" + (" (mobile)" if kind == phonenumbers.PhoneNumberType.MOBILE else "")]
        else:
            reasons = ["number written as a phone number (length possible, range not allocated)"]
        context, score = "", 50 if valid else 42
        if business:  # whatever the words say, nobody's own phone
            context, score = "organisation", 45
            reasons.append(f"{business} number: a business line")
        elif personal and not org:
            context, score = "personal", 80
            reasons.append(f"personal context nearby (“{personal}”)")
        elif org and not personal:
            context, score = "organisation", 45
            reasons.append(f"organisation contact context nearby (“{org}”)")
        yield Match("phone_number", start, end, raw, score, tuple(reasons), f"+{num.country_code}", context)


# Not after "@": `@user@instance.social` is a fediverse handle (in mentions and profile URLs).
_EMAIL = re.compile(
    r"(?<![\w.+@-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9-]{2,59})(?![\w-])")


def _emails(text: str, low: str) -> Iterator[Match]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        domain = m.group().rsplit("@", 1)[1].lower()
        personal = _near(EMAIL_PERSONAL, low, m.start(), m.end())
        org = _near(EMAIL_ORG, low, m.start(), m.end())
        reasons = ["e-mail address"]
        context, score = "", 55
        if personal and not org:
            context, score = "personal", 80
            reasons.append(f"personal context nearby (“{personal}”)")
        elif domain in FREEMAIL:
            context, score = "personal", 70
            reasons.append(f"personal mailbox provider ({domain})")
        elif org and not personal:
            context, score = "organisation", 45
            reasons.append(f"organisation contact context nearby (“{org}”)")
        yield Match("email_address", m.start(), m.end(), m.group(), score, tuple(reasons), domain, context)


# ---------------------------------------------------------------------------------------------
# Dates of birth: a real past date with a birth word just before (or right after) it.

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3,
    "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
    "decembre": 12}
_MONTH_ALT = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
_DATE = re.compile(
    r"(?i)(?<![\w/.-])(?:"
    r"(?P<a>\d{1,2})(?P<s>[/.-])(?P<b>\d{1,2})(?P=s)(?P<c>\d{4}|\d{2})"  # 07/04/1994, 04-23-74
    r"|(?P<y>\d{4})-(?P<ym>\d{1,2})-(?P<yd>\d{1,2})"  # 1960-07-21
    r"|(?P<d1>\d{1,2})(?:er|st|nd|rd|th)?\s+(?P<m1>" + _MONTH_ALT + r")\.?,?\s+(?P<y1>\d{4})"  # 1 mars 2005
    r"|(?P<m2>" + _MONTH_ALT + r")\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4})"  # March 1, 2005
    r")(?![\w/-]|\.\d)")


def _parse_date(m: re.Match[str], today: date) -> date | None:
    g = m.groupdict()
    try:
        if g["a"]:
            a, b, c = int(g["a"]), int(g["b"]), int(g["c"])
            year = c if len(g["c"]) == 4 else (1900 + c if c > today.year % 100 else 2000 + c)
            # Day first (FR, most of the world) unless impossible, then month first (US).
            try:
                d = date(year, b, a)
            except ValueError:
                d = date(year, a, b)
        elif g["y"]:
            d = date(int(g["y"]), int(g["ym"]), int(g["yd"]))
        elif g["m1"]:
            d = date(int(g["y1"]), _MONTHS[g["m1"].lower()], int(g["d1"]))
        else:
            d = date(int(g["y2"]), _MONTHS[g["m2"].lower()], int(g["d2"]))
    except (ValueError, KeyError):
        return None
    return d if date(1900, 1, 1) <= d <= today else None


def _dobs(text: str, low: str, today: date | None = None) -> Iterator[Match]:
    if not DOB_WORDS.search(low):
        return  # no birth word anywhere: no date of birth, whatever the dates
    today = today or date.today()
    for m in _DATE.finditer(text):
        ctx = _near(DOB_WORDS, low, m.start(), m.end(), before=32, after=4)
        if not ctx or _parse_date(m, today) is None:
            continue
        yield Match("date_of_birth", m.start(), m.end(), m.group(), 75,
                    ("a past date", f"birth context nearby (“{ctx}”)"))


# ---------------------------------------------------------------------------------------------
# Secrets: provider formats first (each unmistakable), then high-entropy values after a keyword.

# (provider, literal hints of which one must appear, pattern); hints skip most texts cheaply.
_SECRET_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (name, hints, re.compile(p)) for name, hints, p in (
        ("aws_access_key", ("A3T", "AKIA", "ASIA", "ABIA", "ACCA"),
         r"(?<![A-Za-z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
        ("github_token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
         r"(?<![\w])(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}(?![\w])"),
        ("github_token", ("github_pat_",), r"(?<![\w])github_pat_[A-Za-z0-9_]{82}(?![\w])"),
        ("gitlab_token", ("glpat-", "gldt-", "glcbt-", "glrt-", "glft-", "glsoat-", "glffct-"),
         r"(?<![\w-])(?:glpat|gldt|glcbt|glrt|glft|glsoat|glffct)-[A-Za-z0-9_-]{20,50}(?![\w-])"),
        ("gitlab_token", ("glimt-",), r"(?<![\w-])glimt-[A-Za-z0-9_-]{25}(?![\w-])"),
        ("gitlab_token", ("glptt-",), r"(?<![\w-])glptt-[A-Za-z0-9_-]{40}(?![\w-])"),
        ("gitlab_token", ("glagent-",), r"(?<![\w-])glagent-[A-Za-z0-9_-]{50,1024}(?![\w-])"),
        ("gitlab_token", ("gloas-",), r"(?<![\w-])gloas-[A-Za-z0-9_-]{64}(?![\w-])"),
        ("gitlab_token", ("GR1348941",), r"(?<![\w-])GR1348941[A-Za-z0-9_-]{20,50}(?![\w-])"),
        ("slack_token", ("xox",), r"(?<![\w-])xox(?:a|b|p|o|s|r)-(?:\d+-)+[a-z0-9]{6,}(?![\w-])"),
        ("slack_webhook", ("hooks.slack.com",),
         r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+"),
        ("stripe_key", ("_live_",), r"(?<![\w])(?:sk|rk)_live_[0-9a-zA-Z]{24,99}(?![\w])"),
        ("openai_api_key", ("T3BlbkFJ",),
         r"(?<![\w-])sk-(?:proj-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}(?![\w-])"),
        ("google_api_key", ("AIza",), r"(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])"),
        ("npm_token", ("npm_",), r"(?<![\w])npm_[A-Za-z0-9]{36}(?![\w])"),
        ("npm_token", ("_authToken",), r"//registry\.npmjs\.org/:_authToken=\s*(?!\$\{)[A-Za-z0-9_-]{8,}"),
        ("pypi_token", ("pypi-",), r"(?<![\w-])pypi-AgE[IN][A-Za-z0-9_-]{100,}(?![\w-])"),
        ("sendgrid_key", ("SG.",), r"(?<![\w.])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![\w-])"),
        ("twilio_key", ("AC", "SK"), r"(?<![\w])(?:AC|SK)[a-z0-9]{32}(?![\w])"),
        ("mailchimp_key", ("-us",), r"(?<![\w])[0-9a-f]{32}-us[0-9]{1,2}(?![\w])"),
        ("square_secret", ("sq0csp-",), r"(?<![\w-])sq0csp-[0-9A-Za-z\\_-]{43}"),
        ("telegram_bot_token", (":AA",), r"(?<![\w:])\d{8,10}:AA[0-9A-Za-z_-]{33}(?![\w-])"),
        ("discord_bot_token", (),  # no literal: its shape (two dots six apart) is the hint below
         r"(?<![\w-])[MNOA][a-zA-Z\d_-]{23,25}\.[a-zA-Z\d_-]{6}\.[a-zA-Z\d_-]{27}(?:[a-zA-Z\d_-]{11})?(?![\w-])"),
        ("azure_storage_key", ("AccountKey=",), r"AccountKey=[a-zA-Z0-9+/=]{88}"),
        ("artifactory_token", ("AKC", "AP"),
         r"(?:(?<=[\s=:\"'])|^)(?:AKC[a-zA-Z0-9]{10,}|AP[\dABCDEF][a-zA-Z0-9]{8,})(?![\w])"),
        # The whole block: up to its END line, or to the end of the key material when cut short.
        ("private_key", ("PRIVATE KEY",),
         r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{0,16384}?-----END (?:[A-Z0-9]+ )*"
         r"PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=:,\-\s]{0,16384}(?<=\S))"),
        ("basic_auth_url", ("://",),
         r"\b(?i:[a-z][a-z0-9+.-]{0,15})://[^:/?#\s\"'@]{1,64}:[^@/?#\s\"';<>]{1,128}@[\w.-]{1,253}"),
    ))
# Which providers' hints a text holds, all found in one pass (overlapping hints too).
_HINTS = ahocorasick.Automaton()
for _i, (_name, _hints, _pattern) in enumerate(_SECRET_PATTERNS):
    for _h in _hints:
        _HINTS.add_word(_h, (*(_HINTS.get(_h) if _h in _HINTS else ()), _i))
_HINTS.make_automaton()
_DOTTED = re.compile(r"\.[\w-]{6}\.")  # a dotted token (JWT-like), which the hintless patterns look for


# Hints that say nothing without an "@" soon after them, before any space: "://" (a password in a
# link, user:pass@host: at most 64 + 1 + 128 characters between, as basic_auth_url reads them).
_NEEDS_AT = frozenset(i for i, (name, _, _) in enumerate(_SECRET_PATTERNS) if name == "basic_auth_url")
_AT_BEFORE_SPACE = re.compile(r"[^\s@]{0,193}@")


def _secret_hint(text: str) -> bool:
    """Most posts hold none of the providers' prefixes nor a dotted token: one pass rules them all
    out. A link is no hint unless an "@" follows in it (the only secret a link holds is user:pass@)."""
    for end, providers in _HINTS.iter(text):
        if not _NEEDS_AT.issuperset(providers) or _AT_BEFORE_SPACE.match(text, end + 1):
            return True
    return _DOTTED.search(text) is not None


_UNHINTED = tuple(i for i, (_, hints, _) in enumerate(_SECRET_PATTERNS) if not hints)
# An AWS secret access key is 40 base64 characters with no prefix of its own: it is known by the
# access key id written next to it (`AKIA…:<secret>`, `AKIA… <secret>`, both on one config line).
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_AWS_PAIR_WINDOW = 120  # characters between the key id and its secret, either way
_JWT = re.compile(r"(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)?(?![\w-])")
# A keyword, an assignment, then a value: only values that look random count.
# The keyword comes first in the pattern (a prefix before it would be rescanned from every start).
_ASSIGNED = re.compile(
    r"(?i:pass(?:word|wd|e)?|pwd|mdp|secret|token|api[_-]?key|apikey|access[_-]?key|auth|credentials?|key|pw)"
    r"[\w.-]{0,24}[\"']?\s*(?::=|:|=|\s)\s*[\"']?(?P<val>[^\s\"',;]{16,256})")
_MOT_DE_PASSE = re.compile(r"(?i)(?:mot de passe|password|mdp|passcode)\s*(?:est|is|:|=)?\s*:?\s*(?P<val>\S{8,64})")
# For masking only: whatever follows a credential keyword, random-looking or not.
_ANY_CREDENTIAL = re.compile(
    r"(?i)(?:pass(?:word|wd|e)?|pwd|mdp|mot de passe|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"credentials?|passcode)[\"']?\s*(?::=|:|=|\bis\b|\best\b)\s*[\"']?(?P<val>[^\s\"',;]{6,256})")
_PLACEHOLDER = re.compile(r"(?i)^(?:\$|%|<|\{)|insert|example|your[_-]?|changeme|xxxx|\*\*\*|\.\.\.|here$")


def _entropy(s: str) -> float:
    counts = Counter(s)
    return -sum(c / len(s) * math.log2(c / len(s)) for c in counts.values())


def _random_looking(val: str) -> bool:
    if _PLACEHOLDER.search(val):
        return False
    classes = sum(bool(re.search(p, val)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    return classes >= 2 and bool(re.search(r"\d", val)) and bool(re.search(r"[A-Za-z]", val)) \
        and _entropy(val) >= 3.0


def _jwt_ok(token: str) -> bool:
    header = token.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
        return isinstance(json.loads(decoded), dict)
    except (binascii.Error, ValueError):
        return False


def _aws_secret_keys(text: str, ids: list[tuple[int, int]]) -> Iterator[Match]:
    """40-character secrets written near an AWS access key id (before or after it)."""
    for start, end in ids:
        # Bounded on both sides (many key ids must not each rescan the rest of the text); a run the
        # bound cuts short is longer than 40 characters, so not a secret key.
        for m in _AWS_SECRET.finditer(text, max(0, start - _AWS_PAIR_WINDOW), end + _AWS_PAIR_WINDOW + 41):
            value = m.group()
            if _AWS_SECRET.match(text, m.start()) is None:
                continue
            if re.search(r"[A-Za-z]", value) and re.search(r"[\d/+]", value):
                yield Match("secret", m.start(), m.end(), value, 95,
                            ("AWS secret access key next to its access key id",), "aws_secret_key")


def _secrets(text: str, low: str) -> Iterator[Match]:
    providers: Iterable[int] = ()
    if _secret_hint(text):
        providers = sorted({*_UNHINTED, *(i for _, ids in _HINTS.iter(text) for i in ids)})
    aws_ids: list[tuple[int, int]] = []
    for name, _, pattern in (_SECRET_PATTERNS[i] for i in providers):
        for m in pattern.finditer(text):
            value = m.group()
            if name == "artifactory_token" and not re.search(r"[a-z]", value[3:]):
                continue  # capitals and digits (“APEXLEGENDS2024”) make a word or a code, not a token
            if name == "aws_access_key":
                aws_ids.append((m.start(), m.end()))
            yield Match("secret", m.start(), m.end(), value, 95, (f"{name.replace('_', ' ')} format",), name)
    yield from _aws_secret_keys(text, aws_ids)
    if "eyJ" in text:
        for m in _JWT.finditer(text):
            if _jwt_ok(m.group()):
                yield Match("secret", m.start(), m.end(), m.group(), 90, ("JSON web token (decodable header)",),
                            "jwt")
    if not _credential_words(low):
        return
    for pattern in (_ASSIGNED, _MOT_DE_PASSE):
        for m in pattern.finditer(text):
            val = m.group("val")
            if _random_looking(val):
                yield Match("secret", m.start("val"), m.end("val"), val, 80,
                            ("random-looking value after a credential keyword",), "credential")


# ---------------------------------------------------------------------------------------------

Recognizer = Callable[[str, str], Iterator[Match]]
# kind -> (recognizer, fewest digits a value of that kind has): most posts have few digits, and
# counting them once spares every numeric pattern.
RECOGNIZERS: dict[str, tuple[Recognizer, int]] = {
    "secret": (_secrets, 0), "iban": (_ibans, 7), "fr_nir": (_nirs, 13), "us_ssn": (_ssns, 9),
    "credit_card": (_cards, 12), "medical_record_number": (_medical, 4), "email_address": (_emails, 0),
    "date_of_birth": (_dobs, 4),
    # phone_number (7 digits or more) runs last, in `scan`, skipping what others already claimed
}


def _resolve(matches: list[Match]) -> list[Match]:
    """Keep the strongest of overlapping matches (a NIR is not also a card), in text order."""
    # Kept spans never overlap, so sorted by start they are sorted by end too: only the kept span
    # starting last before m ends can overlap m (a bisection, not a pass over all kept spans).
    starts: list[int] = []
    kept: list[Match] = []
    for m in sorted(matches, key=lambda m: (-m.score, -(m.end - m.start), m.start)):
        i = bisect.bisect_left(starts, m.end)
        if i and kept[i - 1].end > m.start:
            continue
        starts.insert(i, m.start)
        kept.insert(i, m)
    return kept


_DIGIT = re.compile(r"\d")


def count_digits(text: str) -> int:
    """The digits in `text` that the recognizers' patterns can read (`\\d`, Unicode decimal digits;
    `str.isdigit` also counts superscripts, which none reads): several times faster than a loop."""
    return len(_DIGIT.findall(text))


def scan(text: str, kinds: tuple[str, ...] | None = None, minimum: int = REPORT,
         regions: tuple[str, ...] = DEFAULT_REGIONS) -> list[Match]:
    """Every identifier in `text` scoring at least `minimum`, overlaps resolved, in text order.
    Phone numbers written without a country code are read as from each of `regions` in turn."""
    if not text:
        return []
    low = text.casefold()
    if len(low) != len(text):  # casefold changed lengths (ß → ss): offsets must stay aligned
        low = text.lower() if len(text.lower()) == len(text) else text
    digits = count_digits(text)
    found: list[Match] = []
    for kind, (recognize, fewest) in RECOGNIZERS.items():
        if digits >= fewest and (kinds is None or kind in kinds):
            found.extend(m for m in recognize(text, low) if m.score >= minimum)
    if digits >= 7 and (kinds is None or "phone_number" in kinds):
        taken = tuple((m.start, m.end) for m in found if m.score >= 60)
        claimed = tuple((m.start, m.end) for m in found if m.score >= REPORT)
        found.extend(m for m in _phones(text, low, taken, claimed, regions) if m.score >= minimum)
    return _resolve(found)


# Card-shaped digit runs, even failing Luhn: a typo'd card is still a card to a log reader.
_CARD_SHAPED = re.compile(r"(?<![\w/.-])(?:\d[ -]?){12,18}\d(?![\w/])")
_URL = re.compile(r"(?i)\b(?:https?|ftp)://\S+")
_URL_DIGITS = re.compile(r"(?<!\d)\d{12,19}(?!\d)")


def _nothing_to_mask(text: str) -> bool:
    """Fewer digits than any number recognizer needs, no "@", no provider's hint, no JWT and no
    credential word: no recognizer can find anything (the short display names, handles and
    reasons such as "(92% alike)" that findings are full of)."""
    return too_few_digits(text) and _no_hint(text, emails_kept=False)


def too_few_digits(text: str) -> bool:
    """Fewer digits than any number recognizer reads: none of them can find anything in `text`."""
    return count_digits(text) < _FEWEST_DIGITS


def hint_free(texts: list[str], emails_kept: bool = False) -> bool:
    """No "@" (unless e-mail addresses are kept), no JWT, no provider's hint and no credential word
    in any of `texts`: read in one pass over them joined. With `too_few_digits` of each, nothing
    any recognizer reads is there."""
    return _no_hint("\n".join(texts), emails_kept)


def _no_hint(text: str, emails_kept: bool) -> bool:
    """With `emails_kept`, an "@" does not count: only the e-mail recognizer reads it (a password
    in a link has the "://" hint, counted when an "@" follows it)."""
    return ((emails_kept or "@" not in text) and "eyJ" not in text and not _secret_hint(text)
            and not _credential_words(text.casefold()))


# The fewest digits any number recognizer looks at (phones take 7, the card-shaped catch 13).
_FEWEST_DIGITS = min(fewest for fewest in (n for _, n in RECOGNIZERS.values()) if fewest > 0)


def find_sensitive(text: str, scanned: list[Match] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, kind) of everything worth masking in `text`, context or not; for `redact`.
    `scanned` is `scan(text, minimum=0)` when the caller already has it."""
    if not text or (scanned is None and _nothing_to_mask(text)):
        return []
    found = list(scan(text, minimum=0) if scanned is None else scanned)
    extra = []
    if count_digits(text) >= 13:
        urls = [(u.start(), u.end()) for u in _URL.finditer(text)]
        for m in _CARD_SHAPED.finditer(text):
            if not any(s <= m.start() < e for s, e in urls) and m.group()[0] in "23456":
                extra.append(Match("credit_card", m.start(), m.end(), m.group(), 1, ()))
        # Inside URLs ids are long numbers too (statuses, orders): only a real card number (Luhn
        # and a scheme's prefix and length) in a path or a query is masked there.
        for s, e in urls:
            for m in _URL_DIGITS.finditer(text, s, e):
                if luhn.is_valid(m.group()) and card_brand(m.group()) is not None:
                    extra.append(Match("credit_card", m.start(), m.end(), m.group(), 1, ()))
    for m in _ANY_CREDENTIAL.finditer(text) if _credential_words(text.lower()) else ():
        extra.append(Match("secret", m.start("val"), m.end("val"), m.group("val"), 2, ()))
    return [(m.start, m.end, m.kind) for m in _resolve(found + extra)]
