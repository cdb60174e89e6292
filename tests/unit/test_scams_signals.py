"""Each scam signal on its own, the context that lowers a score, and the finding's shape."""

import pytest

from sentinelle.detectors import Context, get
from sentinelle.detectors.scams import KIND, ScamRules
from sentinelle.model import Post, Profile, Severity
from sentinelle.signals.scam_patterns import (
    DISCOUNT_RE, DOUBLING_RE, crypto_addresses, mask_cards, phone_numbers, short_codes,
)
from sentinelle.watchlist import parse_watchlist

WL = parse_watchlist({
    "organization": "Maison Lumière",
    "brands": [{"name": "Maison Lumière", "aliases": ["MaisonLumiere"], "hashtags": ["MaisonLumiere", "LumiereDays"],
                "domains": ["maisonlumiere.fr"]}],
    "official_accounts": [{"platform": "x", "handle": "maisonlumiere"}],
    "people": [{"name": "Claire Dubois", "accounts": [{"platform": "x", "handle": "ClaireDubois_LP"}]}],
    "allowlist": {"accounts": [{"platform": "x", "handle": "friendly_reseller"}]},
})
CTX = Context.ephemeral(watchlist=WL)
RULES = ScamRules.cached(CTX)
DETECTOR = get("scams")


def post(text, handle="stranger", **kw):
    return Post(platform=kw.pop("platform", "x"), id=kw.pop("id", "1"), text=text,
                author={"id": kw.pop("author_id", "42"), "handle": handle, **kw.pop("author", {})}, **kw)


def hits(text, **kw):
    found = RULES.assess(post(text, **kw), require_brand=False)
    return found.hits


@pytest.mark.parametrize(
    ("signal", "text"),
    [
        ("offer", "-50% sur tout avec ce bon de réduction"),
        ("offer", "get a free coupon code"),
        ("prize", "Congratulations, you have won! Claim your prize"),
        ("prize", "Félicitations, vous avez gagné le jeu concours"),
        ("payment_data", "send your card number and CVV"),
        ("payment_data", "donnez votre numéro de carte et le cryptogramme"),
        ("payment_data", "communiquez le code reçu par SMS"),
        ("personal_data", "please verify your account"),
        ("personal_data", "confirmez vos informations"),
        ("voucher", "payez en coupon PCS ou Transcash"),
        ("voucher", "pay with an Apple gift card"),
        ("messaging", "contact us on WhatsApp"),
        ("messaging", "écrivez-nous sur Telegram"),
        ("private_message", "envoyez-nous un message privé"),
        ("investment", "guaranteed returns every week"),
        ("investment", "rendement garanti sans risque"),
        ("investment", "send 0.1 BTC and receive 0.2 BTC back"),
        ("urgency", "today only, before midnight"),
        ("urgency", "offre valable aujourd'hui seulement, avant minuit"),
        ("lure", "votre colis est en attente, frais de livraison"),
        ("lure", "your refund is ready"),
        ("support_claim", "ici le service client"),
        ("support_claim", "Hi, customer support here"),
        ("support_mention", "le service client m'a rappelé"),
        ("private_message", "order by DM"),
        ("voucher", "buy 3 Google Play cards"),  # plural of a multi-word phrase
        ("investment", "5% daily returns"),
        ("investment", "un placement à 12 % par mois"),
        ("payment_data", "envoyez-nous le code du coupon"),
        ("warning", "attention aux arnaques"),
        ("warning", "never share your code, it's a scam"),
        ("news", "selon un article du journal"),
        ("news", "my order is still waiting, terrible"),
        ("crypto", "buy bitcoin and ethereum"),
        ("reassurance", "100% legit, not a scam"),
    ],
)
def test_phrase_signals(signal, text):
    assert signal in hits(text)


@pytest.mark.parametrize(
    ("signal", "text"),
    [
        ("payment_data", "pin this post"),  # "pin" alone is not a PIN code
        ("voucher", "my PC's fan is loud"),  # "PC's" is not "PCS"
        ("offer", "freedom and freely"),  # whole words only
        ("urgency", "knowhow"),
        ("support_claim", "le service client ne répond pas"),  # a mention, not self-presentation
        ("payment_data", "BBQ ribs"),  # single words get no plural
    ],
)
def test_phrase_signals_need_whole_words(signal, text):
    assert signal not in hits(text)


def test_leetspeak_and_homoglyph_signals():
    assert "payment_data" in hits("d0nnez v0tre numér0 de c@rte")
    assert "voucher" in hits("рауеz en Тranscash")  # Cyrillic letters


def test_discount_pattern():
    assert DISCOUNT_RE.findall("promo -50% sur tout, 70 % de reduction, 30% off") == [
        "-50%", "70 % de reduction", "30% off"]
    assert DISCOUNT_RE.findall("taux de 3,5% en 2026") == []


@pytest.mark.parametrize(
    ("text", "lang", "e164"),
    [
        ("appelez le 06 12 34 56 78", "fr", "+33612345678"),
        ("WhatsApp +33 7 56 78 90 12", None, "+33756789012"),
        ("call 020 7946 0321 now", "en", "+442079460321"),
        ("call 09061701461 to claim", None, "+449061701461"),
        ("ring (415) 555-2671", "en", "+14155552671"),
    ],
)
def test_phone_numbers_any_region(text, lang, e164):
    assert e164 in phone_numbers(text, lang)


def test_phone_numbers_read_as_from_the_watchlist_regions():
    assert "+8613912345670" not in phone_numbers("appelez le 139 1234 5670", "fr")
    assert phone_numbers("appelez le 139 1234 5670", "fr", ("GB", "CN")) == ["+8613912345670"]


def test_phone_numbers_ignore_other_numbers():
    assert phone_numbers("order 4970 1012 3456 7890 and 2026-11-20, total 12 345", "fr") == []


def test_phone_signal_and_short_code():
    assert hits("appelez le 06 12 34 56 78")["phone"] == ["+33612345678"]
    assert short_codes("text win to 87121 now") == ["87121"]
    assert "phone" in hits("Text WIN to 87121 to claim")


def test_crypto_addresses():
    text = ("bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh 0x52908400098527886E0F7030069857D2E4169EE7 "
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 Supercalifragilisticexpialidociousness")
    assert len(crypto_addresses(text)) == 3
    assert "crypto_address" in hits(text)


def test_doubling_pattern():
    assert DOUBLING_RE.search("envoyez 1 eth et recevez 2 eth en retour")
    assert not DOUBLING_RE.search("send me the photos and i'll get back to you")


def test_card_numbers_and_ibans_masked():
    assert mask_cards("carte 4970 1012 3456 7890 ok") == "carte 4970 •••• •••• 7890 ok"
    masked = mask_cards("virement FR76 3000 6000 0112 3456 7890 189 merci")
    assert masked == "virement FR•• •••• 0189 merci"
    assert mask_cards("appelez le 06 12 34 56 78") == "appelez le 06 12 34 56 78"


@pytest.mark.parametrize(
    ("link", "signal"),
    [
        ("https://www.maisonlumiere.fr/soldes", "official_link"),
        ("https://maisonlumiere-promo.shop/x", "lookalike_link"),
        ("https://rnaisonlumiere.fr/login", "lookalike_link"),
        ("https://bit.ly/abc", "shortener"),
        ("https://example-deals.com/x", "foreign_link"),
        ("https://t.me/lumiere_cadeaux", "messaging"),
    ],
)
def test_link_signals(link, signal):
    assert signal in hits(f"Maison Lumière {link}")
    assert signal in hits("Maison Lumière", links=[link])  # links given apart from the text count too


def test_lookalike_link_alone_is_a_brand_mention():
    found = RULES.assess(post("gros soldes ici https://maisonlumiere-soldes.shop"))
    assert found is not None and "lookalike_link" in found.hits


def test_brand_required():
    assert RULES.assess(post("-50% sur tout, appelez le 06 12 34 56 78, numéro de carte")) is None


def test_warning_lowers_and_reassurance_cancels_it():
    scam = "#MaisonLumiere -50% sur tout, appelez le 06 12 34 56 78 et donnez votre numéro de carte"
    base = RULES.assess(post(scam)).score
    warned = RULES.assess(post("Attention aux arnaques, ne donnez jamais : " + scam)).score
    reassured = RULES.assess(post(scam + " (ce n'est pas une arnaque)")).score
    assert warned < base - 40 and warned < 50
    assert reassured >= base


def test_official_link_lowers():
    promo = "Les #LumiereDays : -30% sur la déco jusqu'à dimanche"
    assert RULES.assess(post(promo + " https://maisonlumiere.fr")).score < RULES.assess(post(promo)).score


def test_account_named_after_brand():
    found = RULES.assess(post("contactez-nous sur WhatsApp", author={"display_name": "Maison Lumière Support"}))
    assert found is not None and "brand_account" in found.hits


SCAM = "#MaisonLumiere -50% sur tout ! Appelez le 06 12 34 56 78 et donnez votre numéro de carte 4970 1012 3456 7890"


def test_finding_shape():
    [f] = DETECTOR.detect(post(SCAM, url="https://x.com/stranger/status/1", handle="stranger"), CTX)
    assert f.detector == "scams" and f.kind == KIND
    assert f.severity == Severity.critical and 0 <= f.score <= 100
    assert f.reasons[0] == "mentions the brand Maison Lumière as #MaisonLumiere"
    assert any("phone number" in r for r in f.reasons)
    assert f.subject.kind == "account" and f.subject.id == "42" and f.subject.handle == "stranger"
    assert f.subject.url == "https://x.com/stranger"
    assert f.item_id == "1" and f.item_url == "https://x.com/stranger/status/1"
    assert f.evidence["brand"] == "Maison Lumière" and f.evidence["phones"] == ["+33612345678"]
    assert "4970 1012 3456 7890" not in str(f.model_dump())
    assert "4970 •••• •••• 7890" in f.evidence["excerpt"]


def test_one_scammer_one_incident():
    a = DETECTOR.detect(post(SCAM, id="1"), CTX)[0]
    b = DETECTOR.detect(post("Coupon #LumiereDays par WhatsApp +33 7 56 78 90 12, payez en PCS", id="2"), CTX)[0]
    assert a.incident_key == b.incident_key


@pytest.mark.parametrize(("platform", "handle"), [("x", "maisonlumiere"), ("x", "@MaisonLumiere"),
                                                   ("x", "ClaireDubois_LP")])
def test_own_accounts_never_reported(platform, handle):
    item = post(SCAM, handle=handle, platform=platform)
    assert DETECTOR.detect(item, CTX) == []


def test_allowlisted_accounts_are_found_and_suppressed_by_the_one_allowlist():
    """The detector reports; incidents.Allowlist (the pipeline and `check`) drops it."""
    from sentinelle.incidents import Allowlist

    (finding,) = DETECTOR.detect(post(SCAM, handle="friendly_reseller"), CTX)
    assert Allowlist.build(WL).suppresses(finding)


def test_reads_posts_only_and_survives_odd_input():
    assert DETECTOR.detect(Profile(platform="x", id="1", handle="maisonlumiere_promo", bio=SCAM), CTX) == []
    assert DETECTOR.detect(Post(platform="x", id="1", text=""), CTX) == []
    anonymous = DETECTOR.detect(Post(platform="x", id="9", text=SCAM), CTX)
    assert anonymous and anonymous[0].subject.kind == "post"


def test_plan():
    queries = DETECTOR.plan(WL)
    assert {(q.kind, q.value) for q in queries} == {
        ("hashtag", "MaisonLumiere"), ("hashtag", "LumiereDays"),
        ("search_posts", "Maison Lumière"), ("search_posts", "MaisonLumiere"),
    }


class _Report:
    def __init__(self, url, final_url, credential_form=False):
        self.url, self.final_url, self.credential_form = url, final_url, credential_form

    def as_evidence(self):
        return {"final_url": self.final_url, "credential_form": self.credential_form}


class _Enrichers:
    """A stand-in for the online enrichers: short links lead to a lookalike login page."""

    def __init__(self):
        self.asked = []

    def link_report(self, url):
        self.asked.append(url)
        if "broken" in url:
            raise RuntimeError("timeout")
        return _Report(url, "https://maisonlumiere-login.shop/signin", credential_form=True)


def test_online_links_are_followed():
    enrichers = _Enrichers()
    ctx = Context.ephemeral(watchlist=WL, online=True, enrichers=enrichers)
    item = post("#MaisonLumiere votre cadeau vous attend : https://bit.ly/xyz https://maisonlumiere.fr")
    [f] = DETECTOR.detect(item, ctx)
    assert enrichers.asked == ["https://bit.ly/xyz"]  # the brand's own link is not fetched
    assert {"lookalike_link", "credential_page"} <= set(f.evidence["signals"])
    assert f.evidence["links"][0]["landing"]["final_url"] == "https://maisonlumiere-login.shop/signin"
    offline = DETECTOR.detect(item, CTX)
    assert not offline or offline[0].score < f.score


def test_online_enricher_failure_is_not_a_crash():
    ctx = Context.ephemeral(watchlist=WL, online=True, enrichers=_Enrichers())
    [f] = DETECTOR.detect(post("#MaisonLumiere -50% appelez le 06 12 34 56 78 https://bit.ly/broken"), ctx)
    assert f.evidence["links"][0]["landing"] == {"error": "could not be checked"}
