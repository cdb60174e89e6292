"""Policy packs are versioned data, validated when loaded; organisation rules join them."""

import pytest

from sentinelle.detectors import Context, get
from sentinelle.model import Severity, parse_item
from sentinelle.policies import PACKS, PolicyError, compile_policies, fold, load_pack, parse_pack
from sentinelle.watchlist import parse_watchlist


def test_built_in_packs_load_with_id_version_description():
    for name in PACKS:
        pack = load_pack(name)
        assert pack.id == name and pack.version >= 1 and pack.description
        assert all(r.description and r.severity for r in pack.rules)


def test_unknown_pack():
    with pytest.raises(PolicyError, match="unknown policy pack"):
        load_pack("casino")


@pytest.mark.parametrize("data,key", [
    ({"id": "x", "version": 1, "description": "d", "rules": [{"id": "r", "description": "d", "severity": "high",
                                                               "colour": "red"}]}, "rules.0.colour"),
    ({"id": "x", "version": 0, "description": "d", "rules": []}, "version"),
    ({"id": "x", "version": 1, "description": "d", "rules": [{"id": "r", "description": "d", "severity": "loud"}]},
     "rules.0.severity"),
    ({"id": "x", "version": 1, "description": "d", "rules": [{"id": "r", "description": "d", "severity": "high",
                                                               "kinds": ["passport"]}]}, "rules.0.kinds"),
    ({"id": "x", "version": 1, "description": "d", "rules": [{"id": "r", "description": "d", "severity": "high",
                                                               "patterns": ["(unclosed"]}]}, "rules.0.patterns"),
])
def test_bad_pack_names_the_key(data, key):
    with pytest.raises(PolicyError, match=key.replace(".", r"\.")):
        parse_pack(data, "bad.yaml")


def test_fold_ignores_case_and_accents():
    assert fold("Rendement GARANTI, Zéro Risque") == "rendement garanti, zero risque"


def _watchlist(**policies):
    return parse_watchlist({"organization": "Org", "official_accounts": [{"platform": "x", "handle": "org"}],
                            "policies": policies})


def _detect(wl, text):
    post = parse_item({"type": "post", "platform": "x", "id": "1", "author": {"handle": "org"}, "text": text})
    return {f.kind: f for f in get("leaks").detect(post, Context.ephemeral(watchlist=wl))}


def test_only_enabled_packs_run():
    assert _detect(_watchlist(), "Rendement garanti et sans risque !") == {}
    found = _detect(_watchlist(packs=["finance"]), "Rendement GARANTI et sans risque !")
    f = found["policy:finance-promissory-language"]
    assert f.severity == Severity.high
    assert f.evidence["policy"] == {"id": "finance-promissory-language", "pack": "finance", "version": 1,
                                    "description": load_pack("finance").rules[0].description}
    assert any("finance policy v1" in r for r in f.reasons)


def test_health_context_makes_identifiers_critical():
    wl = _watchlist(packs=["health"])
    plain = _detect(wl, "rappelle-moi au 06 12 34 56 78")
    assert plain["phone_number"].severity == Severity.medium
    health = _detect(wl, "la patiente est joignable au 06 12 34 56 78 pour son diagnostic")
    assert health["phone_number"].severity == Severity.critical


def test_health_name_with_medical_context():
    found = _detect(_watchlist(packs=["health"]), "Patient John SMITH admitted this morning")
    f = found["policy:health-patient-data"]
    assert f.severity == Severity.critical and "SMITH" not in str(f.evidence) and "John" not in str(f.evidence)
    assert _detect(_watchlist(packs=["health"]), "Merci à nos patients pour leur confiance") == {}


def test_organisation_rules_terms_and_patterns():
    wl = _watchlist(rules=[
        {"id": "No Rate Promises", "terms": ["rendement garanti"], "severity": "high"},
        {"id": "internal-codes", "description": "Internal project code names", "patterns": [r"\bPRJ-\d{4}\b"],
         "severity": "medium"},
    ])
    assert [c.kind for c in compile_policies(wl)] == ["policy:no-rate-promises", "policy:internal-codes"]
    found = _detect(wl, "Projet PRJ-1234 : rendement garanti !")
    assert found["policy:no-rate-promises"].severity == Severity.high
    assert found["policy:internal-codes"].severity == Severity.medium
    assert any("organisation rule" in r for r in found["policy:internal-codes"].reasons)


@pytest.mark.parametrize("text,name", [
    ("patiente Mme Isabelle Morel, NIR", "Isabelle Morel"),
    ("Patient John SMITH admitted", "John SMITH"),
    ("Patient: John Smith admitted", "John Smith"),
    ("our patient John Smith was seen", "John Smith"),
    ("le patient M. Dupont va mieux", "Dupont"),
    ("Patient Portal maintenance tonight", None),
    ("Patient Safety Week starts", None),
    ("Journée SANTÉ au centre", None),
    ("Dr Julien MARCHAND consulte", None),  # the watchlist's own doctor, not a patient
])
def test_person_names_only_where_a_name_must_stand(text, name):
    from sentinelle.detectors.leaks import person_names

    wl = parse_watchlist({"organization": "Org", "people": [{"name": "Julien Marchand"}]})
    found = [n for _, _, n in person_names(text, wl)]
    assert found == ([name] if name else [])


def test_policy_index_runs_only_the_rules_a_text_can_fire_and_finds_the_same(monkeypatch):
    """Thousands of rules: the automaton picks the candidates; running every rule finds the same."""
    from benchmarks.bench_impersonation import scaled_rules
    from benchmarks.bench_leaks import posts
    from sentinelle.policies import PolicyIndex

    wl = scaled_rules(400)
    terms = [r.terms[0] for r in wl.policies.rules if r.terms]
    items = [parse_item(i) for i in posts(300)]
    items = [it.model_copy(update={"text": f"{it.text} {terms[k * 7 % len(terms)]}" if k % 3 == 0 else it.text})
             for k, it in enumerate(items)]
    index = PolicyIndex.of(wl)
    assert len(index.relevant(fold("nothing to see here"))) < 10 < len(index.rules)
    det, ctx = get("leaks"), Context.ephemeral(wl)
    blocked = [[f.model_dump() for f in det.detect(it, ctx)] for it in items]
    monkeypatch.setattr(PolicyIndex, "relevant", lambda self, folded: list(self.rules))
    every = [[f.model_dump() for f in det.detect(it, ctx)] for it in items]
    assert blocked == every
    assert sum(any(f["kind"].startswith("policy:rule-") for f in fs) for fs in blocked) >= 90
