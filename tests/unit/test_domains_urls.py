"""URL extraction, hosts and registrable domains (sentinelle.text.urls)."""

import pytest

from sentinelle.text.urls import extract_urls, host_of, is_shortener, registrable_domain


def test_extracts_links_and_bare_domains_trimmed():
    text = ("Voir https://acme.com/x?y=1). Aussi acme-verify.example/x et maisonlumiere-promo.com! "
            "e.g. file.txt (http://exemple.fr/a_(b)) contact@maisonlumiere.fr @bob@mastodon.social")
    assert extract_urls(text) == [
        "https://acme.com/x?y=1",
        "acme-verify.example/x",
        "maisonlumiere-promo.com",
        "http://exemple.fr/a_(b)",
    ]


def test_no_links_in_empty_or_plain_text():
    assert extract_urls("") == []
    assert extract_urls(None) == []
    assert extract_urls("Bonjour, rien ici. Mr.Smith a dit ok.") == []


def test_duplicates_dropped_order_kept():
    assert extract_urls("a.com b.org a.com") == ["a.com", "b.org"]


@pytest.mark.parametrize(
    "url, host",
    [
        ("https://user:pw@EVIL.com.:8080/p", "evil.com"),
        ("www.Bit.ly/abc", "www.bit.ly"),
        ("https://[::1]:80/", "::1"),
        ("", ""),
        ("http://[bad", ""),
    ],
)
def test_host_of(url, host):
    assert host_of(url) == host


@pytest.mark.parametrize(
    "value, domain",
    [
        ("https://login.acme.co.uk/x", "acme.co.uk"),
        ("brand.com.verify-account.info", "verify-account.info"),
        ("münchen.de/x", "xn--mnchen-3ya.de"),
        ("http://www.xn--myetherwallt-leb.com/", "xn--myetherwallt-leb.com"),
        ("shop.acme-verify.example/x", "acme-verify.example"),
        ("127.0.0.1", "127.0.0.1"),
        ("foo.com.", "foo.com"),
    ],
)
def test_registrable_domain(value, domain):
    assert registrable_domain(value) == domain


def test_shorteners():
    assert is_shortener("bit.ly")
    assert is_shortener("https://www.bit.ly/x")
    assert not is_shortener("maisonlumiere.fr")


@pytest.mark.parametrize("host", ["a.b.city.kitakyushu.jp", "x.y.nagoya.jp", "www.ck", "foo.www.ck", "co.uk",
                                  "a.co.uk", "a.b.c.blogspot.com", "x.xn--p1ai", "q.w.e.r.t.y.city.kitakyushu.jp",
                                  "login.secure.maisonlumiere.fr", "localhost", "10.0.0.1"])
def test_fast_suffix_split_agrees_with_tldextract(host):
    from sentinelle.text.urls import _EXTRACT, _split

    r = _EXTRACT.extract_str(host)
    assert _split(host) == (r.subdomain, r.domain, r.suffix)


def test_fast_suffix_split_agrees_with_tldextract_on_every_kind_of_rule():
    """Hosts built on a sample of the bundled rules (plain, wildcard and exception), with 0-2
    labels in front: the right-to-left walk must find the rule tldextract finds."""
    import random

    from sentinelle.text.urls import _EXTRACT, _SUFFIX_RULES, _split

    rng = random.Random(5)
    rules = sorted(_SUFFIX_RULES)
    rules = [r for r in rules if r[0] in "!*"] + rng.sample(rules, 1500)
    for rule in rules:
        body = rule.lstrip("!").removeprefix("*.")
        for k in range(3):
            front = ".".join(rng.choice(["a", "www", "co", "com", "uk", "xn--p1ai"]) for _ in range(k))
            for host in (f"{front}.{body}".lstrip("."), f"{front}.x.{body}".lstrip(".")):
                r = _EXTRACT.extract_str(host)
                assert _split(host) == (r.subdomain, r.domain, r.suffix), host


def test_many_labels_and_overlong_hosts_stay_cheap():
    from sentinelle.text.urls import _split

    assert _split("a." * 20000 + "com")[1:] == ("a", "com")  # linear: would take seconds if quadratic
    assert host_of("http://" + "a" * 300 + ".com/") == ""
    assert registrable_domain("a" * 300 + ".com") == ""
