"""Masking: each kind keeps only what identifies nothing; redact() masks whatever it can find."""

import pytest

from sentinelle.masking import mask, redact


@pytest.mark.parametrize("kind,value,shown", [
    ("credit_card", "4111-1111-1111-1111", "4111 •••• •••• 1111"),
    ("credit_card", "4111111111111111", "4111 •••• •••• 1111"),
    ("iban", "FR76 3000 6000 0112 3456 7890 189", "FR•• •••• 0189"),
    ("us_ssn", "536-90-4399", "[us_ssn]"),
    ("fr_nir", "2 74 04 54 395 326 67", "[fr_nir]"),
    ("medical_record_number", "2024-00871", "[medical_record_number]"),
    ("secret", "AKIAIOSFODNN7EXAMPLE", "AKIA••••"),
    ("phone_number", "+33 6 12 34 56 78", "••••••••78"),
    ("email_address", "jean.dupont@gmail.com", "j•••@gmail.com"),
    ("date_of_birth", "12/03/1985", "••/••/1985"),
    ("something_new", "whatever 123", "[something_new]"),
])
def test_mask(kind, value, shown):
    assert mask(kind, value) == shown


def test_short_secrets_show_less():
    assert mask("secret", "hunter2") == "h••••"
    assert mask("secret", "abc") == "••••"


def test_masks_never_contain_the_value():
    values = {"credit_card": "4970101234567890", "iban": "DE89370400440532013000", "us_ssn": "536904399",
              "fr_nir": "274045439532667", "secret": "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"}
    for kind, value in values.items():
        assert value not in mask(kind, value)
        assert value[4:-4] not in mask(kind, value)


def test_redact_masks_everything_found():
    text = ("carte 4111 1111 1111 1111, IBAN FR76 3000 6000 0112 3456 7890 189, NIR 2 74 04 54 395 326 67, "
            "ssn 536-90-4399, mail jean.dupont@gmail.com, tel 06 12 34 56 78, key AKIAIOSFODNN7EXAMPLE, "
            "password: hunter2hunter2")
    out = redact(text)
    for raw in ("1111 1111 1111", "3000 6000 0112", "395 326", "536-90-4399", "jean.dupont", "12 34 56",
                "IOSFODNN7EXAMPLE", "hunter2hunter2"):
        assert raw not in out, raw
    assert "4111 •••• •••• 1111" in out and "FR•• •••• 0189" in out and "[fr_nir]" in out


def test_redact_masks_card_shaped_numbers_even_with_a_broken_checksum():
    assert "1111 1111 1112" not in redact("carte 4111 1111 1111 1112 refusée")


@pytest.mark.parametrize("text,raw", [("Figures: 078051121", "078051121"), ("dossier 078051121 fini", "078051121"),
                                      ("See 0032698674", "0032698674"), ("order 0032698674", "0032698674")])
def test_redact_masks_possible_ids_even_where_a_word_says_otherwise(text, raw):
    assert raw not in redact(text)


def test_redact_keeps_ordinary_text_and_urls():
    text = "Merci ! https://mastodon.social/@maisonlumiere/110000000000000001 #MaisonLumiere 12 coloris"
    assert redact(text) == text
    assert redact("") == ""


def test_redact_is_idempotent_and_leaves_alert_metadata_alone():
    alert = ("[critical] leaks credit_card on x @maisonlumiere 2026-11-20T09:30:00Z score 95 "
             "https://x.com/maisonlumiere/status/1859123456789012345 incident 3f9a1c2b7d4e5f60a1b2c3d4: "
             "carte 4111 1111 1111 1111")
    once = redact(alert)
    assert redact(once) == once
    assert "2026-11-20T09:30:00Z" in once and "1859123456789012345" in once and "3f9a1c2b7d4e5f60a1b2c3d4" in once
    assert "4111 •••• •••• 1111" in once


def test_private_key_blocks_are_masked_whole():
    body = "MIIEowIBAAKCAQEAxk29fjs02kLzpq9Aa+/b3BlbnNzaC1rZXktdjEAAAA="
    full = f"voici la clé\n-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\nmerci"
    out = redact(full)
    assert body[:16] not in out and "-----BEGIN RSA PRIVATE KEY----- ••••" in out and out.endswith("merci")
    cut = f"-----BEGIN PRIVATE KEY-----\n{body}"  # a post cut in the middle of the key
    assert body[:16] not in redact(cut)


@pytest.mark.parametrize("text", [
    "AKIA3F7Q2M9R4T6W8Y1Z vR7kP2mX9qL4sT8wZ3nB6cF1hJ5dG0aE/yU+iO2p",
    "AKIA3F7Q2M9R4T6W8Y1Z:vR7kP2mX9qL4sT8wZ3nB6cF1hJ5dG0aE/yU+iO2p",
    "secret vR7kP2mX9qL4sT8wZ3nB6cF1hJ5dG0aE/yU+iO2p for id AKIA3F7Q2M9R4T6W8Y1Z",
])
def test_redact_masks_an_aws_secret_key_next_to_its_key_id(text):
    """Issue 13, item 2: the id was masked, its 40-character secret kept raw."""
    out = redact(text)
    assert "AKIA3F7Q2M9R4T6W8Y1Z" not in out and "X9qL4sT8wZ3nB6cF1hJ5" not in out, out


def test_redact_masks_a_real_card_number_inside_a_url_but_not_status_ids():
    """Issue 13, item 4: URLs in evidence and subjects pass the same masking."""
    assert "4916338506082832" not in redact("https://evil.example/u/4916338506082832?x=1")
    status = "https://x.com/someone/status/1861234567890123456"
    assert redact(status) == status


def test_redact_keeps_fediverse_handles_but_not_email_addresses():
    url = "https://mastodon.social/@drmarchand@mastodon.social/110000000000000001"
    assert redact(url) == url
    assert "jean.martin" not in redact("écrire à jean.martin@gmail.com")


def test_scam_excerpts_mask_a_nir_as_a_nir_and_an_ssn_written_with_an_equals_sign():
    from sentinelle.signals.scam_patterns import mask_cards

    out = mask_cards("https://x.example/v?nir=185057800608491 ssn=536-22-8134 appelez le 06 12 34 56 78")
    assert "[fr_nir]" in out and "85057800" not in out and "536-22-8134" not in out
    assert "06 12 34 56 78" in out  # the scam's call-back number stays: it is the evidence


@pytest.mark.parametrize("text", [
    "password: correcthorsebatterystaple",  # a credential word, no digit
    "mot de passe : soleilsoleil",
    "PASSWORD=SuperSecretValueHere",
    "eyJhbGciOiJIUzI1NiJ9.e30.abc",  # a JWT's header
    "https://admin:hunter2hunter@intranet.example/",  # credentials in a URL
    "write to jane.doe@example.com",
    "ＩＢＡＮ ＦＲ７６ ３０００ ６０００ ０１１２ ３４５６ ７８９０ １８９",  # full-width digits
])
def test_the_fast_path_never_skips_what_a_recognizer_may_find(text):
    from sentinelle.signals.identifiers import _nothing_to_mask

    assert not _nothing_to_mask(text)


@pytest.mark.parametrize("text", ["Claire Dubois | Conseil", "display name copies person Julien Faupe"])
def test_plain_names_skip_the_recognizers(text):
    from sentinelle.signals.identifiers import _nothing_to_mask

    assert _nothing_to_mask(text) and redact(text) == text


def test_a_few_digits_are_no_identifier_but_four_may_be():
    from sentinelle.signals.identifiers import _nothing_to_mask

    assert _nothing_to_mask("display name “C. Dubois” copies person “Claire Dubois” (92% alike)")
    assert not _nothing_to_mask("née le 1984")  # a year of birth: the date recognizer reads four digits


def test_a_finding_is_clean_at_once_when_no_text_holds_anything_to_read():
    from sentinelle.masking import CONTACTS, nothing_to_mask

    reasons = ["display name “Adam Bertaine” copies person “Adam Reltaine” (85% alike)", "only 12 follower(s)"]
    evidence = {"identity": "Adam Reltaine", "official_handles": ["mastodon:areltaine@mastodon.social"],
                "lookalike_links": [{"url": "https://lumiere-patrimoine-connexion.fr/login", "kind": "combosquat"}],
                "followers": 12}
    # Digits count per text ("85" and "12" are two texts); an e-mail-like handle is kept; a link
    # holds no secret without an "@".
    assert nothing_to_mask(reasons, evidence, None, "Adam Bertaine", keep=CONTACTS)
    assert not nothing_to_mask(reasons, evidence, keep=frozenset())  # the "@" is read when e-mails are masked


@pytest.mark.parametrize("dirty", [
    "née le 1984",  # four digits in one text
    "https://admin:hunter2hunter@intranet.example/",  # a password in a link
    "token: Zx81kQ",  # a credential word
    "AKIAIOSFODNN7EXAMPLE",  # a provider's prefix
])
def test_a_finding_with_anything_to_read_goes_to_the_recognizers(dirty):
    from sentinelle.masking import CONTACTS, nothing_to_mask

    assert not nothing_to_mask(["copies person Adam Reltaine"], {"note": [dirty]}, keep=CONTACTS)
    assert not nothing_to_mask(["copies person Adam Reltaine"], {"note": [dirty]}, keep=CONTACTS)  # never remembered


def test_a_card_number_in_a_findings_evidence_is_masked_after_clean_findings_were_remembered():
    from sentinelle.detectors.base import masked
    from sentinelle.model import Finding, Severity, Subject

    def finding(note: str) -> Finding:
        return Finding(detector="impersonation", kind="person_impersonation", severity=Severity.low, score=30,
                       reasons=["copies person Adam Reltaine"], evidence={"identity": "Adam Reltaine", "note": note},
                       subject=Subject(platform="x", kind="account", id="1", display_name="Adam"))

    clean = finding("nothing here")
    assert masked(clean) is clean  # answered at once, not copied
    out = masked(finding("card 4970 1012 3456 7890"))
    assert "4970 1012 3456 7890" not in out.model_dump_json() and out.evidence["identity"] == "Adam Reltaine"
