"""Brand names in a link's path are found in one pass (Aho-Corasick), as testing each brand found them."""

import random

from benchmarks.bench_impersonation import scaled_brands
from sentinelle.detectors.scams import ScamRules


def test_names_in_links_match_testing_every_brand_at_ten_thousand_brands():
    wl = scaled_brands(10_000)
    rules = ScamRules(wl)
    rng = random.Random(5)
    names = [n for b in wl.brands for n in (*b.names, *b.hashtags)]
    urls = ["https://bit.ly/", "https://example.org", "https://example.org/?q=1", "https://x.co/Orange-Facture"]
    for _ in range(600):
        a, b = rng.choice(names), rng.choice(names)
        urls.append(rng.choice([f"https://bit.ly/{a.replace(' ', '-')}-facture",
                                f"https://t.co/{a[:4]}x{a[4:]}/{b.upper()}",  # a broken name, then another
                                f"https://example.org/promo/{rng.randrange(10**6)}",
                                f"https://cutt.ly/{a}{b}".replace(" ", "")]))
    named = 0
    for url in urls:
        found = rules._named_in(url)
        assert found == rules._named_in_exhaustive(url), url
        named += found is not None
    assert named > 300  # the links do carry brands' names


def test_no_brand_long_enough_names_nothing():
    rules = ScamRules(scaled_brands(0))  # no brand at all
    assert rules._named_in("https://bit.ly/orange-facture") is None
