"""Brand matching: one automaton, tolerant of case, accents, spacing, leetspeak and homoglyphs."""

import pytest

from sentinelle.detectors.base import Context
from sentinelle.text.brands import BrandMatcher, PhraseMatcher
from sentinelle.text.normalize import prepare
from sentinelle.watchlist import parse_watchlist

WATCHLIST = parse_watchlist(
    {
        "organization": "Maison Lumière",
        "brands": [
            {"name": "Maison Lumière", "aliases": ["MaisonLumiere", "Lumiere Market"],
             "hashtags": ["MaisonLumiere", "LumiereDays"], "domains": ["maisonlumiere.fr"]},
            {"name": "Lumière Patrimoine", "hashtags": ["LumierePatrimoine"]},
        ],
    }
)
MATCHER = BrandMatcher(WATCHLIST)


@pytest.mark.parametrize(
    ("text", "brand", "how"),
    [
        ("Soldes chez Maison Lumière ce soir", "Maison Lumière", "exact"),
        ("soldes chez MAISON LUMIERE", "Maison Lumière", "exact"),
        ("Promo #MaisonLumiere -50%", "Maison Lumière", "hashtag"),
        ("#LumiereDays2026 c'est parti", "Maison Lumière", "hashtag"),
        ("#MaisonLumiereOfficiel", "Maison Lumière", "hashtag"),
        ("M a i s o n   L u m i e r e", "Maison Lumière", "spacing"),
        ("maison-lumière", "Maison Lumière", "spacing"),
        ("m@is0n 1umière", "Maison Lumière", "leetspeak"),
        ("MАISON LUMIÈRE", "Maison Lumière", "homoglyph"),  # Cyrillic А
        ("Ｍａｉｓｏｎ Ｌｕｍｉｅｒｅ", "Maison Lumière", "exact"),  # fullwidth folds plainly
        ("Ma\u200bison Lumi\u200dère", "Maison Lumière", "exact"),  # zero-width characters
        ("placements Lumière Patrimoine", "Lumière Patrimoine", "exact"),
    ],
)
def test_brand_found(text, brand, how):
    found = MATCHER.find(text)
    assert [m.brand for m in found] == [brand]
    assert found[0].how == how
    assert found[0].reason.startswith(f"mentions the brand {brand}")


@pytest.mark.parametrize(
    "text",
    [
        "la lumière du soir sur la maison",  # the words, but not together
        "les lumieres de maisonlumierefake",  # no word boundary after the brand
        "lumieres market",
        "",
    ],
)
def test_brand_not_found(text):
    assert MATCHER.find(text) == []


def test_many_brands_in_one_pass():
    found = MATCHER.find("Maison Lumière et Lumière Patrimoine, #LumiereDays")
    assert {m.brand for m in found} == {"Maison Lumière", "Lumière Patrimoine"}
    assert {m.term for m in found} >= {"LumiereDays"}


def test_each_term_once():
    found = MATCHER.find("#MaisonLumiere promo #maisonlumiere encore #MaisonLumiere")
    assert [(m.term, m.how) for m in found] == [("MaisonLumiere", "hashtag")]


def test_matcher_is_cached_per_context():
    ctx = Context.ephemeral(watchlist=WATCHLIST)
    assert BrandMatcher.cached(ctx) is BrandMatcher.cached(ctx)


def test_phrase_matcher_strict_spacing():
    m = PhraseMatcher([("pcs", "voucher"), ("gift card", "gift")], strict=True)
    assert [p for p, _, _ in m.find("achetez des coupons PCS")] == ["voucher"]
    assert m.find("my PC's fan") == []  # "pcs" across a break it does not have
    assert [p for p, _, _ in m.find("a giftcard for you")] == ["gift"]  # a break it has may be missing
    assert [p for p, _, _ in m.find("a g1ft c@rd")] == ["gift"]


def test_prepared_is_shared():
    p = prepare("#MaisonLumiere gift card")
    assert MATCHER.find(p) and PhraseMatcher([("gift card", 1)]).find(p)
