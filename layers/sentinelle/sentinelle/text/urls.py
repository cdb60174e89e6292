"""Find links in text and reduce them to hosts and registrable domains (no network, ever)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import idna
import tldextract

# The bundled public-suffix snapshot only: an empty URL list means tldextract never downloads,
# and no cache directory means it never writes to disk (Lambda has a read-only file system).
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

# Top-level names reserved for documentation and tests (RFC 2606/6761): not in the public suffix
# list, yet they appear in examples and fixtures and behave like ordinary domains there.
_RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost"})

_LABEL = r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?)"
_HOST = rf"(?:{_LABEL}\.)+{_LABEL}\.?"
_URL_RE = re.compile(
    rf"""
    (?P<url>https?://[^\s<>"'`]+)                  # an explicit web link
    | (?<![\w@.\-/])                               # a bare domain: not part of an email/handle/path
      (?P<bare>(?:www\.)?{_HOST}(?::\d{{2,5}})?(?:[/?#][^\s<>"'`]*)?)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_TRAILING = ".,;:!?'\"»›…)]}>*_"

SHORTENERS = frozenset(
    {
        "bit.ly", "bitly.com", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "v.gd", "buff.ly",
        "rebrand.ly", "cutt.ly", "shorturl.at", "rb.gy", "tiny.cc", "s.id", "t.ly", "bl.ink",
        "lnkd.in", "dlvr.it", "soo.gd", "x.co", "qr.ae", "adf.ly", "shorte.st", "bit.do", "urlz.fr",
        "tinyurl.fr", "shorturl.ly", "t.me", "wa.me", "trib.al", "ift.tt", "fb.me", "youtu.be",
        "amzn.to", "rbl.ms", "snip.ly", "clck.ru", "u.to", "2no.co", "yourls.org", "short.gy",
        "gg.gg", "1url.cz", "cli.re", "tr.im", "shorturl.com", "kutt.it", "po.st", "mcaf.ee",
        "da.gd", "urlr.me", "bitly.ws", "tiny.one", "shrtco.de", "supr.link", "zor.gd", "t2m.io", "qrco.de",
        "ouo.io", "cli.gs", "u.nu", "v.ht", "tinu.be", "shorturl.asia", "bit.ws", "urlz.me",
    }
)


def _trim(candidate: str) -> str:
    """Drop punctuation that ends a sentence rather than the link; keep balanced parentheses."""
    while candidate and candidate[-1] in _TRAILING:
        if candidate[-1] == ")" and candidate.count("(") >= candidate.count(")"):
            break
        candidate = candidate[:-1]
    return candidate


# Links as they really arrive: a scheme whose colon was lost or moved ("http //bit.ly/x",
# "http//:x.com", "https:/x.com"), a bare "://x.com" or "// @x.com" left by OCR or a
# lemmatizer. Only before something that looks like a host ("a // b" is left alone).
_BROKEN_SCHEME_RE = re.compile(
    r"(?:(?<![\w/])(?P<scheme>https?)\s*(?:[:;]\s*/\s*/|/\s*/\s*:?|:\s*/(?!/))"
    r"|(?<![\w:/]):?//|(?<=\w)://(?=[\s@,]))[\s@,]*(?=[^\W_])",
    re.IGNORECASE,
)
# Inside a repaired link: spaces that OCR put around a dot or a hyphen ("orange .com", "sfr -ligne").
_LINK_GAP_RE = re.compile(r"(?<=\w) ?([.-]) (?=\w)|(?<=\w) ([.-]) ?(?=\w)")
# A link glued to the next word: "maj.comÉchange" (a known top-level name, then a capital).
_GLUED_TLD_RE = re.compile(r"(?<=\w\.)(com|net|org|info|fr|be|uk|us|io|me)(?=[A-ZÀ-Ý][a-zà-ÿ])")


def repair_links(text: str) -> str:
    """`text` with broken link schemes mended, so that `extract_urls` finds the links in it.

    Returns `text` itself (the same object) when nothing needed mending: the common case costs
    one regular-expression scan."""
    if "//" not in text and ":/" not in text and not _GLUED_TLD_RE.search(text):
        return text
    out, last = [], 0
    for m in _BROKEN_SCHEME_RE.finditer(text):
        if m.start() < last or m.group(0).lower() in ("http://", "https://"):
            continue  # inside a link already mended, or a link that needs nothing
        scheme = (m.group("scheme") or "http").lower()
        # The host that follows: join the pieces OCR spaced out ("orange .com"); no dot, no link.
        rest = text[m.end():m.end() + 80]
        fixed = _LINK_GAP_RE.sub(lambda g: g.group(1) or g.group(2), rest)
        if "." not in fixed.split(" ", 1)[0]:
            continue
        out += [text[last:m.start()], f" {scheme}://", fixed]
        last = m.end() + len(rest)
    out.append(text[last:])
    return _GLUED_TLD_RE.sub(r"\1 ", "".join(out))


def extract_urls(text: str | None) -> list[str]:
    """Web links and bare domains in `text`, in order, without duplicates or trailing punctuation.

    A bare word counts as a domain only when its last label is a known public suffix (or a
    reserved test name like `.example`), so "e.g." or "file.txt" are not links.
    """
    if not text:
        return []
    out: list[str] = []
    seen: set[str] = set()
    for m in _URL_RE.finditer(text):
        url = _trim(m.group(0))
        if m.group("bare") is not None and not _known_suffix(host_of(url)):
            continue
        if url and url not in seen and host_of(url):
            seen.add(url)
            out.append(url)
    return out


def _known_suffix(host: str) -> bool:
    if not host or "." not in host:
        return False
    if host.rsplit(".", 1)[1] in _RESERVED_TLDS:
        return True
    return bool(_split(host)[2])


_AUTHORITY_END = re.compile(r"[/?#\\]")  # browsers read a backslash as a slash


def host_of(url: str | None) -> str:
    """The lower-case host of a link or bare domain, without userinfo, port or trailing dot."""
    if not url:
        return ""
    s = url.strip()
    i = s.find("://")
    s = s[i + 3:] if 0 < i < 12 else s.lstrip("/")
    authority = _AUTHORITY_END.split(s, 1)[0].rpartition("@")[2]
    if authority.startswith("["):  # an IPv6 literal
        end = authority.find("]")
        host = authority[1:end] if end > 0 else ""
    else:
        host = authority.partition(":")[0]
    host = host.rstrip(".").lower()
    return host if len(host) <= 253 else ""  # longer is no DNS name (RFC 1035); refuse, don't scan


@lru_cache(maxsize=65536)
def _ascii(host: str) -> str:
    """The punycode (A-label) spelling of a host; IDN and ASCII spellings compare equal after it."""
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return host


def _suffix_rules() -> frozenset[str]:
    """The bundled public-suffix rules ("co.uk", "*.ck", "!www.ck"), in Unicode and punycode."""
    rules: set[str] = set()
    for rule in _EXTRACT.tlds:
        rules.add(rule)
        mark = rule[:2] if rule.startswith("*.") else rule[:1] if rule.startswith("!") else ""
        body = rule[len(mark):]
        if not body.isascii():
            try:
                rules.add(mark + idna.encode(body, uts46=True).decode("ascii"))
            except (idna.IDNAError, UnicodeError, ValueError):
                pass
    return frozenset(rules)


_SUFFIX_RULES = _suffix_rules()
_MAX_RULE_LABELS = max(r.lstrip("!").count(".") + 1 for r in _SUFFIX_RULES)


@lru_cache(maxsize=65536)
def _split(host: str) -> tuple[str, str, str]:
    """(subdomain, domain label, public suffix) of an ASCII host.

    The longest matching rule of tldextract's bundled list wins, as in tldextract itself; looking
    the rules up in a set is several times faster than a full `extract` call, which matters when
    every link of every post is checked. Hosts without a suffix (addresses) go to tldextract.
    """
    labels = host.split(".")
    n = len(labels)
    # No public-suffix rule is longer than a few labels: only the last ones can start a suffix,
    # which keeps a host made of thousands of labels linear.
    for i in range(max(0, n - _MAX_RULE_LABELS - 1), n):
        tail = ".".join(labels[i:])
        if "!" + tail in _SUFFIX_RULES:
            i += 1
            break
        if tail in _SUFFIX_RULES or (i + 1 < n and "*." + ".".join(labels[i + 1:]) in _SUFFIX_RULES):
            break
    else:
        r = _EXTRACT.extract_str(host)
        return r.subdomain, r.domain, r.suffix
    if i == 0:
        return "", "", host
    return ".".join(labels[: i - 1]), labels[i - 1], ".".join(labels[i:])


def split_host(url_or_host: str) -> tuple[str, str, str]:
    """(subdomain, registrable label, public suffix), ASCII; reserved test TLDs act as suffixes."""
    return split_ascii_host(_ascii(host_of(url_or_host)))


def split_ascii_host(host: str) -> tuple[str, str, str]:
    """`split_host` for a host already lower-case and ASCII (the fast path of hot loops)."""
    sub, dom, suffix = _split(host)
    if not suffix and "." in host and host.rsplit(".", 1)[1] in _RESERVED_TLDS:
        head, _, tld = host.rpartition(".")
        sub, _, dom = head.rpartition(".")
        suffix = tld
    return sub, dom, suffix


def registrable_domain(url_or_host: str) -> str:
    """The domain a registrant controls (`login.acme.co.uk` → `acme.co.uk`), in ASCII/punycode.

    Falls back to the whole host when there is no public suffix (an IP address, an intranet
    name), so the answer is never empty for a non-empty host.
    """
    sub, dom, suffix = split_host(url_or_host)
    if dom and suffix:
        return f"{dom}.{suffix}"
    return _ascii(host_of(url_or_host))


# Top-level names that cost next to nothing and that the abuse reports (Spamhaus, Interisle's
# phishing studies) find most used by phishing, beside raw IP addresses: a link there is not proof,
# only one more reason.
RISKY_SUFFIXES = frozenset({
    "xyz", "top", "info", "site", "online", "shop", "shopping", "club", "live", "icu", "buzz", "vip", "work",
    "click", "link", "cc", "tk", "ml", "ga", "cf", "gq", "pw", "rest", "fun", "monster", "cyou", "sbs", "cfd",
    "homes", "directory", "bond", "lol", "website", "space", "today", "support", "help", "digital", "run",
    "store", "cloud", "gift", "gifts", "ru.com", "org.ru", "net.ru", "com.ru", "pp.ua", "duckdns.org", "page.link",
})
_IPV4_RE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def is_risky_host(host: str) -> bool:
    """Whether a link's host is a raw IP address or sits under a suffix phishing favours."""
    h = host_of(host)
    if _IPV4_RE.fullmatch(h):
        return True
    _, dom, suffix = split_host(h)
    return suffix in RISKY_SUFFIXES or f"{dom}.{suffix}" in RISKY_SUFFIXES


def is_shortener(host: str) -> bool:
    """Whether `host` (or a link) belongs to a known link-shortening service."""
    h = host_of(host)
    return h in SHORTENERS or h.removeprefix("www.") in SHORTENERS


# Scripts that one language writes together (Japanese mixes kanji and kana; Korean hanja and hangul).
_SCRIPT_FAMILY = {"CJK": "HAN", "HIRAGANA": "HAN", "KATAKANA": "HAN", "HANGUL": "HAN"}
_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def mixed_script(text: str) -> bool:
    """Whether the letters of `text` come from more than one script (`mаison` with a Cyrillic а):
    the shape of a homograph, never of a name someone means to trust."""
    scripts = set()
    for c in text:
        if c.isalpha():
            first = unicodedata.name(c, "?").split(" ", 1)[0]
            scripts.add(_SCRIPT_FAMILY.get(first, first))
    return len(scripts) > 1


def domain_problem(host: str) -> str | None:
    """Why `host` cannot be trusted as a domain name (for allowlists), or None: not a valid DNS
    name, a public suffix itself (`co.uk`: it would cover every domain under it), or a label
    mixing scripts."""
    host = host.strip().rstrip(".").lower()
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii") if not host.isascii() else host
    except (idna.IDNAError, UnicodeError, ValueError):
        return "is not a valid host name"
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or len(labels) < 2 or not all(_DNS_LABEL.match(label) for label in labels):
        return "is not a valid host name"
    try:
        unicode_labels = [idna.decode(label) if label.startswith("xn--") else label for label in labels]
    except (idna.IDNAError, UnicodeError, ValueError):
        return "is not a valid host name"
    if any(mixed_script(label) for label in unicode_labels):
        return "mixes scripts in one label (a homograph)"
    _, dom, suffix = split_ascii_host(ascii_host)
    if suffix and not dom:
        return f"is a public suffix ({suffix}): allowlist a domain under it"
    # Private suffixes too (github.io, blogspot.com): anyone can own a name under them.
    private = _EXTRACT.extract_str(ascii_host, include_psl_private_domains=True)
    if private.suffix and not private.domain:
        return f"is a public suffix ({private.suffix}): allowlist a domain under it"
    return None


def allow_domain(key: str) -> str:
    """The domain an allowlist entry names (a host or a URL, `www.` dropped), lower-case; raises
    ValueError saying why when it is no domain to trust (see `domain_problem`)."""
    host = key.strip().lower().split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]  # a URL names its host
    domain = host.rstrip(".").removeprefix("www.")
    if not domain or "." not in domain:
        raise ValueError(f"{key!r} is not a domain name")
    problem = domain_problem(domain)
    if problem:
        raise ValueError(f"{key!r} {problem}")
    return domain
