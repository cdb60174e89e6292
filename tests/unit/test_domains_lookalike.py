"""Lookalike-domain index: every dnstwist kind, combosquats, brand subdomains; no false alarms."""

import json
from pathlib import Path

import pytest

from sentinelle.signals.domains import LookalikeIndex, edit_kind
from sentinelle.watchlist import parse_watchlist

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures/detectors/lookalike_domains.json").read_text("utf-8"))
INDEX = LookalikeIndex.from_watchlist(parse_watchlist(FIXTURE["watchlist"]))


@pytest.mark.parametrize("case", FIXTURE["positive"], ids=lambda c: f"{c['kind']}:{c['domain']}")
def test_lookalike_flagged_with_its_target(case):
    verdict = INDEX.check(case["domain"])
    assert verdict.is_lookalike, verdict
    assert verdict.target == case["target"]
    assert verdict.brand and verdict.reason and verdict.kind


@pytest.mark.parametrize("case", FIXTURE["negative"], ids=lambda c: c["domain"])
def test_official_popular_and_unrelated_not_flagged(case):
    verdict = INDEX.check(case["domain"])
    assert not verdict.is_lookalike, verdict
    if case["why"].startswith("official"):
        assert verdict.is_official


@pytest.mark.parametrize(
    "cand, official, kind",
    [
        ("maisonlumiere1", "maisonlumiere", "addition"),
        ("maisonlumieres", "maisonlumiere", "plural"),
        ("maisonllumiere", "maisonlumiere", "repetition"),
        ("maisonlumierre", "maisonlumiere", "repetition"),
        ("maison-lumiere", "maisonlumiere", "hyphenation"),
        ("maisonlumere", "maisonlumiere", "omission"),
        ("maisonlumeire", "maisonlumiere", "transposition"),
        ("maisonlumiara", "maisonlumiera", "vowel-swap"),
        ("maisonlumiwre", "maisonlumiere", "replacement"),
        ("maisonlumiere"[:-1] + "g", "maisonlumiere", "bitsquatting"),  # e (0x65) -> g (0x67)
        ("maisonlum1ere", "maisonlumiere", "homoglyph"),
        ("maisonlumizere", "maisonlumiere", "insertion"),
        ("other", "maisonlumiere", None),
    ],
)
def test_edit_kind(cand, official, kind):
    assert edit_kind(cand, official) == kind


def test_short_brand_labels_only_match_exact_copies():
    ix = LookalikeIndex(["ml.fr", "ing.com"], ["ING"])
    assert ix.check("ml.com").kind == "tld-swap"
    for unrelated in ["mi.fr", "mlb.com", "html.fr", "shopping.com", "king.com", "ping.com"]:
        assert not ix.check(unrelated).is_lookalike, unrelated


def test_never_flags_the_allowlist_or_ips():
    ix = LookalikeIndex(["maisonlumiere.fr"], ["Maison Lumière"], allowed_domains=["maisonlumiere-fans.org"])
    assert not ix.check("maisonlumiere-fans.org").is_lookalike
    assert ix.check("maisonlumiere-promo.org").is_lookalike
    assert not ix.check("http://192.168.1.10/login").is_lookalike
    assert not ix.check("").is_lookalike


def test_verdict_names_brand_and_reason():
    v = INDEX.check("https://lumiere-patrimoine-connexion.fr/espace")
    assert v.kind == "combosquat" and v.brand == "Lumière Patrimoine"
    assert "lumiere-patrimoine.fr" in v.reason


def test_idn_official_domain_matches_its_punycode_and_lookalikes():
    import idna

    ix = LookalikeIndex(["münchen-bank.de"], ["München Bank"], {"münchen-bank.de": "München Bank"})
    assert ix.check(f"https://{idna.encode('münchen-bank.de').decode()}/login").is_official
    assert ix.check("https://online.münchen-bank.de/").is_official
    assert ix.check("muenchen-bank.de").is_lookalike or ix.check("munchen-bank.de").is_lookalike
    v = ix.check("münchen-bank.com")
    assert v.kind == "tld-swap" and v.brand == "München Bank"


def test_fixture_covers_every_dnstwist_kind():
    kinds = {c["kind"] for c in FIXTURE["positive"]}
    assert {"addition", "bitsquatting", "homoglyph", "hyphenation", "insertion", "omission", "repetition",
            "replacement", "subdomain", "transposition", "vowel-swap", "plural", "tld-swap", "idn",
            "combosquat", "brand-subdomain"} <= kinds


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_check_never_raises(text):
    v = INDEX.check(text)
    assert v.status in ("official", "lookalike", "unrelated")
    assert not v.is_lookalike or (v.target and v.reason)


def test_platform_hosted_official_domain_is_named_by_its_subdomain():
    ix = LookalikeIndex(["etherdelta.github.io"], ["EtherDelta"], {"etherdelta.github.io": "EtherDelta"})
    assert ix.check("https://etherdelta.github.io/#/trade").is_official
    assert not ix.check("user-images.githubusercontent.com").is_lookalike  # the platform's name is not the brand's
    assert not ix.check("someone.github.io").is_lookalike
    v = ix.check("etherdelta.com")
    assert v.kind == "tld-swap" and v.target == "etherdelta.github.io"


def test_verdicts_are_remembered_per_host_and_bounded(monkeypatch):
    import sentinelle.signals.domains as dom

    monkeypatch.setattr(dom, "_SEEN_HOSTS", 3)
    ix = LookalikeIndex(["maisonlumiere.fr"], ["Maison Lumière"])
    a = ix.check("https://maisonlumiere-promo.com/a")
    assert ix.check("http://maisonlumiere-promo.com/b?x=1") is a  # same host, any path
    for h in ["a.com", "b.com", "c.com", "d.com"]:
        ix.check(h)
    assert len(ix._seen) <= 3


# Spellings a string rule used to miss (issue 14): each rule below with the near words it must spare.
REAL = LookalikeIndex(["discord.com", "steamcommunity.com", "myetherwallet.com", "idex.market", "orange.fr"],
                      ["Discord", "HypeSquad", "Steam Community"],
                      {"discord.com": "Discord", "HypeSquad": "Discord", "steamcommunity.com": "Steam",
                       "Steam Community": "Steam"})


@pytest.mark.parametrize("domain, kind", [
    ("dlscorcl.com", "homoglyph"),  # "di" and "dl" fold alike, "cl" reads as "d"
    ("myethwallct.com", "typosquat"),  # folding "lc" to "k" hid a plain two-edit typo
    ("steamcomnmuunilly.ru", "typosquat"),  # a long name garbled past three edits
    ("myetherwallet.kh", "tld-swap"),  # a wildcard ccTLD rule ("*.kh") is no suffix of its own
    ("www.myetherwallet.mm", "tld-swap"),
    ("imdex.market", "insertion"),  # an edit of a short name under the brand's own rare suffix
    ("discord-warning.com", "combosquat"),  # the name with an account-threat word
    ("discord-hypesquads.com", "combosquat"),  # two of one brand's names in a label
])
def test_strong_lookalikes_that_used_to_slip(domain, kind):
    verdict = REAL.check(domain)
    assert verdict.is_lookalike and verdict.kind == kind and verdict.strong, verdict


@pytest.mark.parametrize("domain", ["shop.com.kh", "imdex.com", "idea.market.com", "steamcontent.com",
                                    "teamcommunication.com", "discover.com", "concord.com"])
def test_near_words_stay_unrelated(domain):
    assert not REAL.check(domain).is_lookalike, REAL.check(domain)


@pytest.mark.parametrize("domain", ["orangebank.fr", "discordbotlist.com"])
def test_near_brand_sites_without_lure_stay_weak(domain):
    verdict = REAL.check(domain)
    assert not verdict.strong, verdict
