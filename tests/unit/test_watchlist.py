"""The watchlist contract: valid shapes load; invalid ones name the file, the key and the problem."""

from __future__ import annotations

import pytest

from sentinelle.watchlist import WatchlistError, load_watchlist, parse_watchlist


def write(tmp_path, text):
    p = tmp_path / "watchlist.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_demo_watchlist_loads(demo_dir):
    wl = load_watchlist(demo_dir / "watchlist.yaml")
    assert wl.organization == "Maison Lumière"
    assert "maisonlumiere.fr" in wl.official_domains
    assert wl.is_own("mastodon", "@DrMarchand@mastodon.social")
    assert wl.person_of("x", "claireDUBOIS_lp").name == "Claire Dubois"


def test_contract_example_loads():
    wl = parse_watchlist({
        "organization": "Maison Lumière",
        "brands": [{"name": "Maison Lumière", "aliases": ["MaisonLumiere"],
                    "hashtags": ["#MaisonLumiere", "LumiereDays"], "domains": ["https://MaisonLumiere.fr/"]}],
        "official_accounts": [{"platform": "x", "handle": "@maisonlumiere"}],
        "people": [{"name": "Claire Dubois", "role": "adviser",
                    "accounts": [{"platform": "linkedin", "handle": "claire-dubois"}]}],
    })
    assert wl.brands[0].hashtags == ["MaisonLumiere", "LumiereDays"]
    assert wl.brands[0].domains == ["maisonlumiere.fr"]
    assert wl.is_own("X", "MaisonLumiere")
    assert wl.is_own("linkedin", "Claire-Dubois")
    assert not wl.is_own("mastodon", "maisonlumiere")


@pytest.mark.parametrize("text, key, problem", [
    ("organization: A\nbrandz: []\n", "brandz", "unknown key"),
    ("organization: A\nbrands:\n  - name: B\n    domain: [b.fr]\n", "brands[0].domain", "unknown key"),
    ("organization: A\nofficial_accounts:\n  - {platform: x}\n", "official_accounts[0].handle", "Field required"),
    ("brands: []\n", "organization", "Field required"),
    ("organization: A\nbrands:\n  - name: B\n    domains: ['not a domain']\n", "brands[0].domains", "not a domain"),
    ("organization: A\npolicies:\n  rules:\n    - {id: r, patterns: ['(']}\n", "policies.rules[0].patterns",
     "not a valid regular expression"),
    ("organization: A\nregions: [FR, XX]\n", "regions", "'XX' is not a country code"),
    ("organization: A\nregions: []\n", "regions", "at least 1"),
])
def test_invalid_watchlist_names_file_key_and_problem(tmp_path, text, key, problem):
    path = write(tmp_path, text)
    with pytest.raises(WatchlistError) as info:
        load_watchlist(path)
    msg = str(info.value)
    assert str(path) in msg and key in msg and problem in msg
    assert info.value.key == key


def test_invalid_watchlist_points_at_the_line(tmp_path):
    path = write(tmp_path, "organization: A\nbrands:\n  - name: B\n    colour: blue\n")
    with pytest.raises(WatchlistError) as info:
        load_watchlist(path)
    assert info.value.line == 4


def test_unreadable_and_malformed_yaml(tmp_path):
    with pytest.raises(WatchlistError, match="cannot read"):
        load_watchlist(tmp_path / "missing.yaml")
    with pytest.raises(WatchlistError, match="not valid YAML"):
        load_watchlist(write(tmp_path, "organization: [unclosed\n"))
    with pytest.raises(WatchlistError, match="mapping"):
        load_watchlist(write(tmp_path, "- just a list\n"))


def test_regions_default_and_spelling():
    assert parse_watchlist({"organization": "A"}).regions == ("FR", "GB", "US", "IN")
    assert parse_watchlist({"organization": "A", "regions": ["jp", "UK", "gb"]}).regions == ("JP", "GB")


@pytest.mark.parametrize("given, hint", [("twitter", "did you mean 'x'?"), ("mastadon", "did you mean 'mastodon'?"),
                                         ("bsky", "did you mean 'bluesky'?"), ("myspace", "platforms are ")])
def test_a_wrong_platform_name_is_refused_with_a_hint(tmp_path, given, hint):
    """Issue 16 item 3: `platform: twitter` used to validate, then the bank's own support account
    was reported as an impersonator of itself and its leak was missed."""
    path = write(tmp_path, f"organization: A\nofficial_accounts:\n  - {{platform: {given}, handle: bank}}\n")
    with pytest.raises(WatchlistError) as info:
        load_watchlist(path)
    assert info.value.key == "official_accounts[0].platform" and info.value.line == 3
    assert hint in str(info.value) and "Value error" not in str(info.value)


def test_every_problem_is_listed_with_its_key_and_line(tmp_path):
    path = write(tmp_path, "organization: A\nbrandz: []\nofficial_accounts:\n  - {platform: twitter, handle: b}\n"
                           "regions: [XX]\n")
    with pytest.raises(WatchlistError) as info:
        load_watchlist(path)
    found = {(p.key, p.line) for p in info.value.problems}
    assert found == {("brandz", 2), ("official_accounts[0].platform", 4), ("regions", 5)}
    assert "more problem" not in str(info.value) and len(str(info.value).splitlines()) == 3
