"""No raw sensitive value leaves the detector: one post with every kind, every finding inspected.
(The lead extends this to stored incidents, alerts, API answers and logs.)"""

import json

from sentinelle.detectors import Context, get
from sentinelle.model import parse_item
from sentinelle.watchlist import parse_watchlist

# Each kind's raw value, and the fragments of it that must not appear anywhere either.
RAW = {
    "credit_card": ("4111 1111 1111 1111", ["4111111111111111", "1111 1111 1111"]),
    "iban": ("FR76 3000 6000 0112 3456 7890 189", ["30006000011234567890", "3000 6000 0112"]),
    "us_ssn": ("536-90-4399", ["536904399", "536-90", "90-4399"]),
    "fr_nir": ("2 74 04 54 395 326 67", ["274045439532667", "395 326"]),
    "phone_number": ("06 12 34 56 78", ["0612345678", "12 34 56"]),
    "email_address": ("jeanne.dupont@gmail.com", ["jeanne.dupont"]),
    "date_of_birth": ("12/03/1985", ["12/03"]),
    "medical_record_number": ("00482913", ["00482913"]),
    "secret": ("AKIAIOSFODNN7ABCDEFG", ["IOSFODNN7ABCDEFG"]),
}
TEXT = (
    f"Patiente Mme Jeanne Dupont, née le {RAW['date_of_birth'][0]}, MRN: {RAW['medical_record_number'][0]}, "
    f"NIR {RAW['fr_nir'][0]}, SSN {RAW['us_ssn'][0]}. Joignable au {RAW['phone_number'][0]}, "
    f"mon mail perso {RAW['email_address'][0]}. Sa carte {RAW['credit_card'][0]} exp 09/28, "
    f"IBAN {RAW['iban'][0]}. Clé AWS {RAW['secret'][0]} password = Zq8#kLm2Vx9!pR4t"
)


def test_every_kind_is_found_and_nothing_raw_remains():
    wl = parse_watchlist({"organization": "Org", "official_accounts": [{"platform": "x", "handle": "org"}],
                          "policies": {"packs": ["health", "finance"]}})
    post = parse_item({"type": "post", "platform": "x", "id": "1", "url": "https://x.example/org/1",
                       "author": {"handle": "org"}, "text": TEXT})
    findings = get("leaks").detect(post, Context.ephemeral(watchlist=wl))
    assert set(RAW) <= {f.kind for f in findings}
    blob = json.dumps([f.model_dump(mode="json") for f in findings], ensure_ascii=False)
    for kind, (raw, parts) in RAW.items():
        for s in (raw, *parts):
            assert s not in blob, f"{kind}: {s!r} leaked"
    for s in ("Zq8#kLm2Vx9!pR4t", "Jeanne", "Dupont"):
        assert s not in blob, s
