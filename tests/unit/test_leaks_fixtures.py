"""The leaks detector against its English and French fixtures: leaks reported and masked, the rest not."""

import json
from pathlib import Path

import pytest

from sentinelle.detectors import Context, get
from sentinelle.ports import Query
from sentinelle.model import Severity, parse_item
from sentinelle.watchlist import load_watchlist, parse_watchlist

ROOT = Path(__file__).resolve().parents[2]
DOC = json.loads((ROOT / "tests/fixtures/detectors/leaks.json").read_text(encoding="utf-8"))
WATCHLIST = parse_watchlist(DOC["watchlist"])
DETECTOR = get("leaks")
CTX = Context.ephemeral(watchlist=WATCHLIST)  # one context: the compiled policies are cached in it


def _findings(post: dict):
    item = parse_item(post)
    assert DETECTOR.applies(item, CTX), "fixtures are posts by the watchlist's own accounts"
    return DETECTOR.detect(item, CTX)


def test_fixture_sizes():
    assert len(DOC["positive"]) >= 40 and len(DOC["negative"]) >= 40
    assert {"en", "fr"} <= {p["lang"] for p in DOC["positive"] + DOC["negative"]}
    kinds = {p["expect"]["kind"] for p in DOC["positive"]}
    assert {"credit_card", "iban", "us_ssn", "fr_nir", "phone_number", "email_address", "date_of_birth",
            "medical_record_number", "secret"} <= kinds


@pytest.mark.parametrize("post", DOC["positive"], ids=lambda p: p["id"])
def test_leak_reported(post):
    found = _findings(post)
    want = post["expect"]
    hits = [f for f in found if f.kind == want["kind"]]
    assert hits, [(f.kind, f.severity) for f in found]
    f = max(hits, key=lambda f: f.severity.rank)
    assert f.severity >= Severity(want["severity"]), f.reasons
    assert f.detector == "leaks" and 0 <= f.score <= 100
    assert f.reasons and all(isinstance(r, str) and r for r in f.reasons)
    assert any(r.startswith("posted by") for r in f.reasons)
    assert f.subject.kind == "post" and f.subject.id == post["id"] and f.subject.url == post["url"]
    assert f.subject.handle == post["author"]["handle"] and f.subject.platform == post["platform"]
    assert f.item_id == post["id"]
    assert set(f.evidence) >= {"match", "context"}
    assert len(f.dedup) == 20 and f.dedup not in post["text"]


@pytest.mark.parametrize("post", DOC["negative"], ids=lambda p: p["id"])
def test_nothing_alerting_on_negative(post):
    loud = [f for f in _findings(post) if f.severity >= Severity.medium]
    assert not loud, [(f.kind, f.severity, f.reasons) for f in loud]


def test_one_finding_per_kind_and_value():
    post = dict(DOC["positive"][0], text="carte 4111 1111 1111 1111, je répète : carte 4111-1111-1111-1111")
    found = _findings(post)
    assert [f.kind for f in found] == ["credit_card"]


def test_dedup_is_keyed_on_the_value_not_the_post():
    a = dict(DOC["positive"][0], id="a", text="ma carte 4111 1111 1111 1111 merci")
    b = dict(DOC["positive"][0], id="b", text="card number 4111-1111-1111-1111 again")
    (fa,), (fb,) = _findings(a), _findings(b)
    assert fa.dedup == fb.dedup
    other = Context(watchlist=WATCHLIST, hash_key=b"another key of 32 bytes or so...")
    assert DETECTOR.detect(parse_item(a), other)[0].dedup != fa.dedup


def test_there_is_no_default_hash_key():
    with pytest.raises(TypeError):
        Context(watchlist=WATCHLIST)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Context(watchlist=WATCHLIST, hash_key=b"sentinelle")


def test_plan_reads_every_own_account_once():
    wl = load_watchlist(ROOT / "examples/demo/watchlist.yaml")
    plan = DETECTOR.plan(wl)
    assert all(isinstance(q, Query) and q.kind == "account_posts" for q in plan)
    assert len({(q.platform, q.value.lower()) for q in plan}) == len(plan)
    assert Query(kind="account_posts", value="drmarchand@mastodon.social", platform="mastodon") in plan
    assert Query(kind="account_posts", value="maisonlumiere", platform="x") in plan
    assert len(plan) == len(wl.official_accounts) + sum(len(p.accounts) for p in wl.people)


def test_strangers_are_read_only_when_named_explicitly():
    post = parse_item({"type": "post", "platform": "x", "id": "9", "author": {"handle": "someone_else"},
                       "text": "ma carte 4111 1111 1111 1111 exp 09/28"})
    assert not DETECTOR.applies(post, CTX)
    explicit = Context.ephemeral(watchlist=WATCHLIST, explicit=True)
    assert DETECTOR.applies(post, explicit)
    (f,) = DETECTOR.detect(post, explicit)
    assert f.kind == "credit_card" and not any("official account" in r for r in f.reasons)
    assert any("outside the watchlist" in r for r in f.reasons)


def test_demo_doctor_posting_a_patient_record_is_critical():
    """Demo scenario (c): the doctor posts a patient's name, NIR and record number."""
    wl = load_watchlist(ROOT / "examples/demo/watchlist.yaml")
    post = parse_item({
        "type": "post", "platform": "mastodon", "id": "111", "url": "https://mastodon.social/@drmarchand/111",
        "author": {"handle": "drmarchand@mastodon.social", "display_name": "Dr Julien Marchand"},
        "text": "Compte rendu pour la patiente Mme Isabelle Morel, NIR 2 74 04 54 395 326 67, "
                "dossier patient n° 2024-00871 : suivi diabète à prévoir."})
    ctx = Context.ephemeral(watchlist=wl)
    found = {f.kind: f for f in DETECTOR.detect(post, ctx)}
    assert {"fr_nir", "medical_record_number", "policy:health-patient-data"} <= set(found)
    assert all(f.severity == Severity.critical for f in found.values())
    assert found["fr_nir"].evidence["match"] == "[fr_nir]"
    assert "Julien Marchand" in " ".join(found["fr_nir"].reasons)
    blob = json.dumps([f.public() for f in found.values()], ensure_ascii=False)
    for raw in ("395 326 67", "274045439532667", "2024-00871", "Isabelle", "Morel"):
        assert raw not in blob


def test_bad_text_does_not_crash():
    for text in ["", " ", "\x00" * 10, "é" * 5000, "4" * 5000, "@" * 300, "ß" * 50 + " 4111 1111 1111 1111 carte",
                 "-----BEGIN PRIVATE KEY-----", "İ" * 20 + " carte 4111111111111111"]:
        post = parse_item({"type": "post", "platform": "x", "id": "1", "author": {"handle": "maisonlumiere"},
                           "text": text})
        for f in DETECTOR.detect(post, CTX):
            assert "4111111111111111" not in json.dumps(f.public())


def test_links_given_apart_from_the_text_are_read_too():
    post = parse_item({"type": "post", "platform": "x", "id": "7", "author": {"handle": "maisonlumiere"},
                       "text": "Nouvelle intégration en place !",
                       "links": ["https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx"]})
    (f,) = DETECTOR.detect(post, CTX)
    assert f.kind == "secret" and "abcdefghijklmnopqrstuvwx" not in json.dumps(f.public())


@pytest.mark.parametrize("text,kind", [("Numbers for the file: 078051121", "us_ssn"),
                                       ("See 0032698674 before Monday", "medical_record_number")])
def test_possible_values_are_recorded_low_and_page_no_one(text, kind):
    """Bare digits that only fit a kind's rules are kept for review, below the alert threshold."""
    post = dict(DOC["positive"][0], text=text)
    (f,) = _findings(post)
    assert f.kind == kind and f.severity == Severity.low < WATCHLIST.thresholds.alert
    assert any("possibly" in r for r in f.reasons)
    assert f.evidence["match"] == f"[{kind}]" and "078051121" not in json.dumps(f.public())
    said = dict(post, text=("SSN " if kind == "us_ssn" else "patient ") + text)
    assert max(f.severity for f in _findings(said) if f.kind == kind) >= Severity.high


def test_the_watchlist_regions_read_numbers_without_a_country_code():
    wl = parse_watchlist({**DOC["watchlist"], "regions": ["FR", "CN"]})
    post = parse_item(dict(DOC["positive"][0], text="Le client m'a dit : call me on 139 1234 5670"))
    (f,) = DETECTOR.detect(post, Context.ephemeral(watchlist=wl))
    assert f.kind == "phone_number" and f.reasons[0] == "valid phone number (mobile)"
