"""Recognizers: a checksum or format validator decides, context words raise or lower the score."""

import pytest

from sentinelle.signals.identifiers import POSSIBLE, REPORT, card_brand, scan


def kinds(text: str) -> dict[str, int]:
    """kind -> best score of what `scan` reports in text."""
    out: dict[str, int] = {}
    for m in scan(text):
        out[m.kind] = max(out.get(m.kind, 0), m.score)
    return out


# --- payment cards -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "ma carte 4111 1111 1111 1111 exp 12/27",
    "card 4111-1111-1111-1111",
    "4111111111111111",
    "Amex 3782 822463 10005 for the booking",
    "card number 5555555555554444",
])
def test_card_valid(text):
    assert "credit_card" in kinds(text)


@pytest.mark.parametrize("text", [
    "ma carte 4111 1111 1111 1112 exp 12/27",  # Luhn fails
    "card 1234 5678 9012 3456",  # Luhn fails
    "card 9111 1111 1111 1111 1",  # no issuer starts with 9
])
def test_card_checksum_or_issuer_broken(text):
    assert "credit_card" not in kinds(text)


def test_card_context_raises_score_and_other_numbers_lower_it():
    plain = kinds("4111111111111111")["credit_card"]
    assert kinds("ma carte bancaire 4111111111111111")["credit_card"] > plain
    assert "credit_card" not in kinds("commande n° 4111111111111111 expédiée")
    assert "credit_card" not in kinds("suivi colis 4111111111111111")


def test_siret_and_short_lengths_need_card_words():
    assert "credit_card" not in kinds("SIRET 73282932000074")
    assert "credit_card" not in kinds("30569309025904")  # a Diners-shaped 14-digit number alone
    assert "credit_card" in kinds("Diners card 30569309025904 exp 01/29")
    assert "credit_card" not in kinds("carte vitale 183114700126723")  # not a payment card


def test_card_brand():
    assert card_brand("4111111111111111") == "visa"
    assert card_brand("378282246310005") == "amex"
    assert card_brand("5555555555554444") == "mastercard"
    assert card_brand("9111111111111111") is None
    assert card_brand("411111111111") is None  # visa has no 12-digit numbers


# --- IBAN --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "IBAN FR76 3000 6000 0112 3456 7890 189",
    "FR7630006000011234567890189",
    "virement sur DE89 3704 0044 0532 0130 00 merci",
    "NO 02 15037577003",
    "this is an iban VG96 VPVG 0000 0123 4567 8901 X in a sentence",
])
def test_iban_valid(text):
    assert "iban" in kinds(text)


@pytest.mark.parametrize("text", [
    "IBAN FR76 3000 6000 0112 3456 7890 188",  # mod-97 fails
    "DE89 3704 0044 0532 0130 0",  # wrong length for Germany
    "AL47/2121/1009/0000/0002/3569/8741",
])
def test_iban_invalid(text):
    assert "iban" not in kinds(text)


def test_iban_value_stops_at_the_iban():
    (m,) = scan("this is an iban VG96 VPVG 0000 0123 4567 8901 X in a sentence")
    assert m.value == "VG96 VPVG 0000 0123 4567 8901"


# --- US SSN and French NIR ---------------------------------------------------------------------

def test_ssn_issuing_rules():
    assert "us_ssn" in kinds("my SSN is 536-90-4399")
    assert "us_ssn" in kinds("536 90 4399")
    for bad in ("000-12-3456", "666-12-3456", "900-12-3456", "536-00-4399", "536-90-0000", "078-05-1120"):
        assert "us_ssn" not in kinds(f"ssn {bad}"), bad


def test_ssn_bare_nine_digits_are_possible_unless_something_else():
    assert REPORT <= kinds("078051121")["us_ssn"] < POSSIBLE  # shape and rules fit, no word says
    assert kinds("social security number 078051121")["us_ssn"] >= 85
    for other in ("order 078051121", "SIREN 078051121", "tél 078051121", "facture n° 078051121"):
        assert "us_ssn" not in kinds(other), other
    assert "us_ssn" not in kinds("536904399")  # a valid French phone number written without its 0
    assert "us_ssn" not in kinds("078051120")  # the Woolworth card number, never issued


def test_ssn_other_groupings():
    assert REPORT <= kinds("078-051121")["us_ssn"] < POSSIBLE
    # 5-4 is a ZIP+4 code and mixed separators are anyone's typo: only an SSN word makes them one
    assert "us_ssn" not in kinds("Newark NJ 07805-1121")
    assert "us_ssn" not in kinds("693-09.4444")
    assert kinds("SSN 07805-1121")["us_ssn"] >= 85
    assert kinds("ssn: 693-09.4444")["us_ssn"] >= 85
    assert kinds("536-90-4399")["us_ssn"] >= POSSIBLE  # the SSN's own grouping stands alone
    assert "us_ssn" not in kinds("1112-23333")


def test_nir_control_key():
    assert kinds("NIR 2 74 04 54 395 326 67")["fr_nir"] >= 90
    assert "fr_nir" in kinds("274045439532667")
    assert "fr_nir" not in kinds("NIR 2 74 04 54 395 326 68")
    assert kinds("carte vitale 274045439532667")["fr_nir"] > kinds("274045439532667")["fr_nir"]


# --- phones and e-mail addresses: whose? ----------------------------------------------------------

@pytest.mark.parametrize("text", ["text me at 001-279-912-3524x81756", "mon portable 06 12 34 56 78 poste 1234",
                                  "call me +1 202 555 0143 ext. 12"])
def test_phone_extensions_are_not_part_of_the_number(text):
    (m,) = scan(text)
    assert m.kind == "phone_number" and m.context == "personal" and text.endswith(m.value)


def test_phone_numbers_without_country_code_read_as_from_the_regions():
    text = "call me on 139 1234 5670"  # a Chinese mobile, written the Chinese way
    assert scan(text)[0].subtype != "+86"  # by default, a possible US number (range not allocated)
    (m,) = scan(text, regions=("FR", "CN"))
    assert m.subtype == "+86" and m.context == "personal" and m.reasons[0] == "valid phone number (mobile)"
    assert scan("call me on +86 139 1234 5670")[0].subtype == "+86"  # a country code needs no region


@pytest.mark.parametrize("text,line", [("call me on 0909 464 6631", "premium-rate"),
                                       ("appelez-moi au 0 800 12 34 56", "toll-free"),
                                       ("call me at 1-800-555-0199", "toll-free")])
def test_business_lines_are_nobodys_own_phone(text, line):
    (m,) = scan(text)
    assert m.context == "organisation" and f"{line} number: a business line" in m.reasons


def test_a_word_alone_does_not_make_a_number_personal():
    assert scan("Send me an SMS: 06 12 34 56 78")[0].context == "personal"
    assert scan("SMS JOIN to 06 12 34 56 78")[0].context == ""
    assert scan("PRIVATE! Your statement for 06 12 34 56 78")[0].context == ""
    assert scan("ma ligne privée : 06 12 34 56 78")[0].context == "personal"


def test_phone_validated_and_context_read():
    (m,) = scan("rappelle-moi au 06 12 34 56 78 stp")
    assert m.kind == "phone_number" and m.context == "personal"
    (m,) = scan("Service client : 01 44 55 66 77 (appel gratuit)")
    assert m.context == "organisation"
    assert "phone_number" not in kinds("rappelle-moi au 06 12 34")  # too short
    assert "phone_number" not in kinds("version 2024111800012")


def test_email_context_and_free_mail():
    (m,) = scan("mon mail perso c'est jean.dupont@example.org")
    assert m.kind == "email_address" and m.context == "personal"
    (m,) = scan("x jean.dupont@gmail.com")
    assert m.context == "personal"  # a personal mailbox provider
    (m,) = scan("écrivez-nous à contact@maisonlumiere.fr")
    assert m.context == "organisation"
    assert "email_address" not in kinds("my email is info@presidio.")


# --- dates of birth ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["Je suis né le 07/04/1994 à Lyon", "date de naissance : 1 mars 2005",
                                  "DOB: 1960-07-21", "born March 3, 1978 in Ohio", "née le 18.03.2006"])
def test_dob_with_birth_words(text):
    assert "date_of_birth" in kinds(text)


@pytest.mark.parametrize("text", ["Soldes du 12/01/2027 au 08/02/2027", "né le 31/02/1990",
                                  "born 04/23/2990", "Webinar 2026-12-03"])
def test_dob_needs_a_birth_word_and_a_real_past_date(text):
    assert "date_of_birth" not in kinds(text)


# --- medical record numbers ----------------------------------------------------------------------

def test_medical_ids():
    assert "medical_record_number" in kinds("MRN: 00482913")
    assert "medical_record_number" in kinds("dossier patient n° 2024-00871")
    assert "medical_record_number" in kinds("NHS number 943 476 5919 for the patient")
    assert "medical_record_number" not in kinds("NHS number 943 476 5918 for the patient")  # mod 11
    assert "medical_record_number" in kinds("Medicare ID: 1EG4-TE5-MK73")
    assert "medical_record_number" not in kinds("1SG4-TE5-MK73")  # S is never used in an MBI
    assert kinds("101 234 5688")["medical_record_number"] >= POSSIBLE  # the NHS's own 3-3-4 grouping


def test_bare_nhs_number_is_possible_unless_a_phone():
    assert REPORT <= kinds("0032698674")["medical_record_number"] < POSSIBLE
    assert kinds("patient 0032698674")["medical_record_number"] >= 75
    assert "medical_record_number" not in kinds("9434765919")  # also a valid US phone number
    for other in ("call 0032698674", "PH 0032698674", "order 0032698674", "Dial 0032698674"):
        assert "medical_record_number" not in kinds(other), other
    assert "medical_record_number" not in kinds("0032698675")  # mod 11 broken


# --- secrets -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text,subtype", [
    ("AKIAZZZZZZZZZZZZZZZZ", "aws_access_key"),
    ("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", "github_token"),
    ("glpat-hellOworld380_testin", "gitlab_token"),
    ("xoxb-34532454-e039d02840a0b9379c", "slack_token"),
    ("sk_live_ReTllpYQYfIZu2Jnf2lAPFjD", "stripe_key"),
    ("sk-proj-Xi8tdMjHV6pmbBbwilTeT3BlbkFJ3UDnpdEwNNm6wVBpYM0o", "openai_api_key"),
    ("AIzaSyD-1234567890abcdefghijklmnopqrstu", "google_api_key"),
    ("npm_" + "a1B2" * 9, "npm_token"),
    ("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", "sendgrid_key"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "private_key"),
    ("https://admin:s3cr3tPass@example.com/x", "basic_auth_url"),
    ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc", "jwt"),
    ("password = Xk29fjs02kLz!pq9", "credential"),
])
def test_secret_formats(text, subtype):
    found = [m for m in scan(text) if m.kind == "secret"]
    assert found and found[0].subtype == subtype


@pytest.mark.parametrize("text", [
    "akiazzzzzzzzzzzzzzzz", "sk_live_", "pk_live_j5krY8XTgIcDaHDb3YrsAfCl", "api_key=YOUR_API_KEY_HERE",
    "password: <your password>", "token = souvenirs", "APEXLEGENDS2024 tournament",
    "bm90X3ZhbGlkX2pzb25fYXRfYWxs.bm90X3ZhbGlkX2pzb25fYXRfYWxs.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "Random ID Xk29fjs02kLzpq9Aa without any keyword",
])
def test_not_secrets(text):
    assert "secret" not in kinds(text)


# --- the whole scan ------------------------------------------------------------------------------

def test_overlaps_resolved_to_the_stronger_reading():
    ms = scan("NIR 2 74 04 54 395 326 67")
    assert [m.kind for m in ms] == ["fr_nir"]


def test_scores_and_reasons():
    for m in scan("carte 4111 1111 1111 1111, IBAN FR7630006000011234567890189, AKIAZZZZZZZZZZZZZZZZ"):
        assert REPORT <= m.score <= 100 and m.reasons


def test_normalized_value_ignores_spelling():
    (a,), (b,) = scan("card 4111 1111 1111 1111"), scan("card 4111-1111-1111-1111")
    assert a.normalized == b.normalized == "4111111111111111"
