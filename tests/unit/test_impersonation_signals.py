"""Name and handle folding, the blocked name index, and the detector's online signals."""

from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from sentinelle.detectors.base import Context, get
from sentinelle.ports import Query
from sentinelle.model import Post, Profile, Severity
from sentinelle.signals.names import (NameIndex, handle_core, handle_matches, name_key, name_similarity,
                                      name_tokens)
from sentinelle.watchlist import load_watchlist

from pathlib import Path

WATCHLIST = load_watchlist(Path(__file__).parents[2] / "examples/demo/watchlist.yaml")
NOW = datetime(2026, 11, 28, tzinfo=timezone.utc)
DET = get("impersonation")


@pytest.mark.parametrize("name", ["Claire Dubois", "DUBOIS Claire", "Dr. Claire Dubois", "Cl4ire Dub0is",
                                  "Сlаire Dubois", "Claire Dubois (officiel)", "Clâire Dubôis", "Claire  Dubois ✅"])
def test_name_variants_fold_to_the_same_key(name):
    assert name_key(name) == "claire dubois"
    assert name_similarity(name, "Claire Dubois") == 100


def test_name_with_extra_words_scores_as_the_copied_words():
    assert name_similarity("Claire Dubois | Lumière Patrimoine", "Claire Dubois") == 100
    assert name_similarity("Claire", "Claire Dubois") < 85  # a first name alone is not a copy
    assert name_similarity("Claire Dupont", "Claire Dubois") < 85
    assert name_tokens("Dr") == ["dr"]  # a name made only of a title keeps it


@pytest.mark.parametrize("handle, core", [("@ClaireDubois_LP", "claireduboislp"), ("real_claire.dubois_75", "clairedubois"),
                                          ("clairedubois_officiel", "clairedubois"), ("clairedubois@mastodon.social", "clairedubois"),
                                          ("clairedubois.bsky.social", "clairedubois"), ("c1airedub0is", "ciairedubois")])
def test_handle_core(handle, core):
    assert handle_core(handle) == core


@pytest.mark.parametrize("cand, official, same", [
    ("VltalikButerin", "vitalikbuterin", True), ("cz_binatce", "cz_binance", True), ("MoIochDAO", "MolochDAO", True),
    ("omise__go", "omise_go", True), ("AmberBaldet30", "amberbaldet", True), ("c1airedubois", "clairedubois", True),
    ("bob", "bab", False), ("claudine", "clairedubois", False), ("ethereum", "ethereumclassic", False),
])
def test_handle_matches(cand, official, same):
    assert handle_matches(cand, official) is same


def test_name_index_blocked_equals_naive():
    protected = ["Claire Dubois", "Julien Marchand", "Sophie Laurent", "Marie Curie", "Jean Dupont"]
    cands = ["DUBOIS Claire", "Julien Marchant", "S0phie Laurent", "Pierre Curie", "Jean Dupond", "Nobody Here"]
    ix = NameIndex(protected)
    blocked, naive = ix.match_many(cands, cutoff=85), ix.match_naive(cands, cutoff=85)
    assert blocked == naive
    assert set(blocked) == {(0, 0), (1, 1), (2, 2), (4, 4)}
    assert ix.match_one("Claire Dubois")[0] == (0, 100)


def test_plan_searches_profiles_for_brands_and_people():
    values = {q.value for q in DET.plan(WATCHLIST)}
    assert all(isinstance(q, Query) and q.kind == "search_profiles" for q in DET.plan(WATCHLIST))
    assert {"Maison Lumière", "Lumière Patrimoine", "Claire Dubois", "Julien Marchand", "Sophie Laurent"} <= values


def _ctx(online=False, enrichers=None):
    return Context.ephemeral(watchlist=WATCHLIST, now=NOW, online=online, enrichers=enrichers)


def test_own_and_allowlisted_accounts_never_reported():
    own = Profile(platform="x", id="1", handle="@ClaireDubois_LP", display_name="Claire Dubois")
    assert not DET.applies(own, _ctx())
    post = Post(platform="x", id="2", text="x", author={"handle": "maisonlumiere", "display_name": "Maison Lumière"})
    assert not DET.applies(post, _ctx())
    assert DET.detect(own, _ctx()) == []


def test_post_author_read_as_a_profile():
    post = Post(platform="x", id="p1", text="Maison Lumière offre 500 € : https://maisonlumiere-cadeau.com",
                author={"id": "9", "handle": "sophie_laurent_ceo", "display_name": "Sophie Laurent"})
    [f] = DET.detect(post, _ctx())
    assert f.kind == "person_impersonation" and f.severity == Severity.high
    assert f.subject.id == "9" and f.item_id == "p1"
    assert f.evidence["lookalike_links"][0]["imitates"] == "maisonlumiere.fr"


def test_namesake_stays_low_and_says_why():
    p = Profile(platform="x", id="3", handle="claire_dubois", display_name="Claire Dubois", bio="Prof de yoga à Lyon")
    [f] = DET.detect(p, _ctx())
    assert f.severity < Severity.medium
    assert any("namesake" in r for r in f.reasons)


@dataclass
class _Report:
    credential_form: bool
    final_url: str


class FakeEnrichers:
    """Stands in for OnlineEnrichers: a known photo and a login page."""

    def link_report(self, url):
        return _Report(credential_form="login" in url, final_url=url)

    def avatar_hash(self, url):
        return None

    def photo_match(self, url):
        return ("Claire Dubois", 2) if "claire" in url else None


def test_reused_photo_is_a_tie_online_only():
    p = Profile(platform="x", id="4", handle="cdubois", display_name="Claire Dubois", bio="Bonjour",
                avatar_url="https://cdn.example/claire.jpg")
    [offline] = DET.detect(p, _ctx())
    [online] = DET.detect(p, _ctx(online=True, enrichers=FakeEnrichers()))
    assert offline.severity < Severity.medium <= online.severity
    assert online.evidence["photo_match"] == {"person": "Claire Dubois", "distance": 2}


def test_credential_page_online_raises_score():
    p = Profile(platform="x", id="5", handle="cdubois", display_name="Claire Dubois",
                bio="Lumière Patrimoine", links=["https://lumiere-patrimoine-connexion.fr/login"])
    [offline] = DET.detect(p, _ctx())
    [online] = DET.detect(p, _ctx(online=True, enrichers=FakeEnrichers()))
    assert offline.severity == Severity.high
    assert online.score > offline.score and online.evidence["credential_pages"]


def test_bad_enricher_does_not_crash():
    class Broken:
        def link_report(self, url):
            raise RuntimeError("boom")

        def photo_match(self, url):
            raise RuntimeError("boom")

    p = Profile(platform="x", id="6", handle="cdubois", display_name="Claire Dubois", bio="Lumière Patrimoine",
                links=["https://x.example/"], avatar_url="https://x.example/a.png")
    assert DET.detect(p, _ctx(online=True, enrichers=Broken()))


def test_namesake_customer_posting_about_the_brand_stays_low():
    post = Post(platform="mastodon", id="p2", text="Super accueil chez Maison Lumière aujourd'hui !",
                author={"id": "11", "handle": "claire_d", "display_name": "Claire Dubois"})
    [f] = DET.detect(post, _ctx())
    assert f.severity < Severity.medium
    assert f.evidence["brand_mentions"] == ["Maison Lumière"]
