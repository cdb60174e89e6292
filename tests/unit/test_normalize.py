"""Text normalisation: accents, case, invisible characters, homoglyphs, leetspeak, spacing."""

import pytest

from sentinelle.text.normalize import compact, deleet, fold, skeleton, tokens


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Maison Lumière", "maison lumiere"),
        ("ÉTÉ  À   Paris", "ete a paris"),
        ("ＬＵＭＩＥＲＥ", "lumiere"),  # fullwidth
        ("𝐌𝐚𝐢𝐬𝐨𝐧", "maison"),  # mathematical bold
        ("Ma\u200bison Lu\u202emi\u00adère\ufeff", "maison lumiere"),  # zero-width, bidi, soft hyphen
        ("straße cœur", "strasse coeur"),
        ("\tline\nbreak  ", "line break"),
        ("", ""),
    ],
)
def test_fold(raw, folded):
    assert fold(raw) == folded


def test_fold_keeps_scripts_without_latin_reading():
    assert fold("한국어 텍스트") == "한국어 텍스트"
    assert fold("Привет") == "привет"  # fold does not map homoglyphs; skeleton does


@pytest.mark.parametrize(
    ("raw", "skel"),
    [
        ("MАISON", "maison"),  # Cyrillic А
        ("ΜΑΙSΟΝ", "maison"),  # Greek capitals
        ("рaypal", "paypal"),  # Cyrillic р
        ("Lumiеrе", "lumiere"),  # Cyrillic е
        ("ｍａｉｓｏｎ", "maison"),
    ],
)
def test_skeleton_maps_homoglyphs(raw, skel):
    assert skeleton(raw) == skel


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("m@is0n lum1ere", "maison lumiere"),
        ("gr4tuit", "gratuit"),
        ("r3mb0ursement", "remboursement"),
        ("free!", "free!"),  # punctuation at the end is not a letter
        ("@shop", "@shop"),  # a handle keeps its @
        ("-50% 06 12 34 56 78", "-50% 06 12 34 56 78"),  # numbers without letters stay
        ("$100", "$100"),
    ],
)
def test_deleet(raw, plain):
    assert deleet(raw) == plain


def test_tokens_and_compact():
    assert tokens("#Maison-Lumière, c'est ÇA!") == ["maison", "lumiere", "c", "est", "ca"]
    assert compact("Maison  Lumière") == compact("maison-lumiere") == compact("#MaisonLumiere") == "maisonlumiere"
    assert compact("MАISON lumière") == "maisonlumiere"
