"""Issue 14: lure families, links as they really arrive, common-word brands, lookalike links that alert."""

from __future__ import annotations

import pytest
from sentinelle.detectors.scams import ScamRules
from sentinelle.model import Post, Severity
from sentinelle.signals.domains import LookalikeIndex
from sentinelle.signals.scam_patterns import RATE_PROMISE_RE
from sentinelle.text.urls import extract_urls, repair_links
from sentinelle.watchlist import parse_watchlist

WATCHLIST = parse_watchlist({"organization": "test", "brands": [
    {"name": "Colivia", "aliases": ["Colivia Express"], "domains": ["colivia.fr"]},
    {"name": "Northbank", "aliases": ["North Bank"], "domains": ["northbank.com"]},
    {"name": "Orange", "domains": ["orange.fr"]},
    {"name": "Free", "aliases": ["Free Mobile"], "domains": ["free.fr"]},
    {"name": "T-Mobile", "domains": ["t-mobile.com"]},
    {"name": "WhatsApp", "domains": ["whatsapp.com"]},
    {"name": "Mutuelle Alizé", "aliases": ["Alizé Santé"], "domains": ["mutuelle-alize.fr"]},
    {"name": "Taxes Publiques", "aliases": ["impots"], "domains": ["taxes-publiques.example"]},
    {"name": "Steamora", "domains": ["steamora.com"]},
]})
RULES = ScamRules(WATCHLIST)


def _assess(text: str):
    return RULES.assess(Post(platform="x", id="1", text=text))


@pytest.mark.parametrize("text, links", [
    ("go to http //bit.ly/3xYz now", ["http://bit.ly/3xYz"]),
    ("verify at http//:northbank-check.com", ["http://northbank-check.com"]),
    ("fix it > ://lnkd.in/abc_1", ["http://lnkd.in/abc_1"]),
    ("renew // @@,short.example/k0", ["http://short.example/k0"]),
    ("pay on http // colivia-pay .com page 2", ["http://colivia-pay.com"]),
    ("http //sfr -ligne.app/m/ id", ["http://sfr-ligne.app/m/"]),
    ("see colivia-maj.comÉchange de SMS", ["colivia-maj.com"]),
])
def test_broken_links_are_mended(text, links):
    assert extract_urls(repair_links(text)) == links


@pytest.mark.parametrize("text", [
    "nothing to mend here https://example.com/a//b.c",
    "a // b and more",
    "whatsapp://chat/?code=x",
])
def test_mending_leaves_other_text_alone(text):
    assert repair_links(text) == text


@pytest.mark.parametrize("text, family", [
    ("Colivia: your parcel could not be delivered, pay the 1.99 redelivery fee at colivia-fees.top/x", "delivery_fee"),
    ("Colivia : votre colis est en attente, réglez les frais de livraison sur http //bit.ly/colv", "delivery_fee"),
    ("Taxes Publiques: you are eligible to a tax refund of 212 EUR, claim it at refund-taxes.example/r",
     "tax_fine_toll"),
    ("Impots : avis de contravention impayée, réglez l'amende majorée sur antai-paiement.xyz", "tax_fine_toll"),
    ("Alizé Santé : votre carte vitale expire, commandez la nouvelle sur alize-carte.info", "health_insurance"),
    ("North Bank: your account is locked after unusual activity, verify at nb-check.example/l", "account_locked"),
    ("Orange : votre facture est impayée, régularisez pour éviter la coupure : orange-paiement.site", "unpaid_bill"),
    ("Colivia loyalty: congratulations, you were selected for a 100 gift card, claim it at cv-gift.click",
     "prize_survey"),
    ("Northbank is hiring: part time job from home, earn 300 per day, apply on jobs-nb.example", "job_offer"),
])
def test_lure_families_are_named(text, family):
    a = _assess(text)
    assert a is not None and a.severity >= Severity.medium, a and a.reasons
    assert a.evidence["scam_type"] == family
    assert any(family in r for r in a.reasons)


@pytest.mark.parametrize("text", [
    "Northbank: a payment of 740 USD is pending on your card. If this wasn't you reply YES to cancel it.",
    "Northbank : une tentative de paiement a été détectée sur votre carte, si ce n'était pas vous rappelez le "
    "09 70 12 34 56",
])
def test_lures_without_a_link_that_ask_for_a_reply_or_a_call(text):
    a = _assess(text)
    assert a is not None and a.severity >= Severity.medium, a and a.reasons


def test_fraud_alert_words_are_the_lures_costume_not_a_warning():
    a = _assess("Northbank Fraud Alerts: unusual activity on your account, confirm it at nb-secure.example/a")
    assert a is not None and a.severity >= Severity.medium and "warning" not in a.hits


@pytest.mark.parametrize("text", [
    "100 Free Spins tonight - Take now https://casino.example/r/1",
    "Get your Free spins and a bonus now https://casino.example/r/2",
    "an orange and a coffee for breakfast https://photos.example/p",
])
def test_common_word_brands_need_evidence(text):
    assert _assess(text) is None


@pytest.mark.parametrize("text", [
    "Facture Orange impayée, régularisez immédiatement sur http //bit.ly/orng-fact",
    "ORANGE: votre ligne sera suspendue, payez votre facture sur orange-facture.site",
    "FREE Votre paiement a echoue, mettez a jour votre moyen de paiement : free-maj.net/p",
])
def test_common_word_brands_with_evidence_are_read(text):
    a = _assess(text)
    assert a is not None and a.severity >= Severity.medium, a and a.reasons


@pytest.mark.parametrize("text", [
    "NorthbankVerify: unusual activity on your account, log in to unlock it northbankverify-login.com",
    "(COLlVlA) your parcel is on hold, pay the fee at pay-fee.example/c",
    "Your Colivlaa parcel is on hold, pay the redelivery fee at pay-fee.example/c",
])
def test_brand_inside_domains_and_misspelt_names(text):
    a = _assess(text)
    assert a is not None and a.severity >= Severity.medium, a and a.reasons


def test_messaging_app_as_the_route_is_not_the_brand_abused():
    assert _assess("Join our bitcoin trading group for daily profits https://chat.whatsapp.com/AbCd") is None


def test_a_one_time_code_given_is_not_a_code_asked():
    a = _assess("Northbank: your verification code is 551203. It expires in 10 minutes.")
    assert a is None or "payment_data" not in a.hits
    a = _assess("Northbank fraud team: read us the verification code we sent you to cancel the payment")
    assert a is not None and "payment_data" in a.hits


@pytest.mark.parametrize("text, promised", [
    ("you have used 90% of your daily data quota", False),
    ("5% daily returns guaranteed", True),
    ("un placement à 12 % par mois", True),
    ("earn 3% weekly on your deposit", True),
])
def test_rates_of_return_need_a_money_word(text, promised):
    assert bool(RATE_PROMISE_RE.search(text)) is promised


# -- lookalike links ----------------------------------------------------------------------

def test_a_strong_lookalike_link_alerts_on_its_own():
    for url in ("https://steamora-login.com/", "https://xn--stemora-9ya.com/", "https://steamora.com.verify-account.info/",
                "https://northbank.co/", "https://colivia.fr.suivi-colis.xyz/"):
        a = _assess(url)
        assert a is not None and a.severity >= Severity.medium, (url, a and a.reasons)
        assert a.evidence["links"][0]["strong"] is True


def test_a_weak_lookalike_stays_low():
    a = _assess("https://mintmobile.com/plans")  # "t-mobile" read across a word's edge
    assert a is not None and a.severity < Severity.medium and "weak_lookalike" in a.hits


@pytest.mark.parametrize("domain, strong", [
    ("steamora-login.com", True),  # the name with a lure word
    ("steamora.xyz", True),  # another suffix, a cheap one
    ("northbank.co", True),  # a one-letter typo of the official suffix
    ("colivia.de", False),  # a short name under a country's suffix: often the brand's own
    ("steamorastatic.com", False),  # the name with a product word
    ("steamoras.com", True),  # one edit of a distinctive name
    ("colivla.fr", True),
    ("mintmobile.com", False),
])
def test_lookalike_strength(domain, strong):
    ix = LookalikeIndex.from_watchlist(WATCHLIST)
    v = ix.check(domain)
    assert v.is_lookalike and v.strong is strong, v


def test_long_names_are_recognised_three_edits_away():
    ix = LookalikeIndex(["steamcommunity.com"], ["Steam Community"])
    assert ix.check("steamncomuniry.ru").is_lookalike
    assert ix.check("stemcomunitiy.ru.com").is_lookalike  # a misspelt name as a subdomain of ru.com
    assert not ix.check("community.com").is_lookalike


def test_a_weak_likeness_as_the_only_tie_to_a_brand_stays_low_whatever_the_words():
    a = _assess("Log into your account to renew your plan, it expired today: https://my.mintmobile.com/renew")
    assert a is not None and a.severity < Severity.medium, a and a.reasons
    a = _assess("T-Mobile: your account is locked, verify it at https://my.mintmobile.com/verify")
    assert a is not None and a.severity >= Severity.medium  # named in the text: the words count again


def test_brand_names_glued_in_handles():
    assert [b.brand for b in RULES._author_brands("Help desk", "NorthbankVerify")] == ["Northbank"]
    assert {b.brand for b in RULES._author_brands("Help", "colivia_express_help")} == {"Colivia"}
    assert RULES._author_brands("Fan", "orange_lover") == []  # an ordinary word in a handle says nothing
