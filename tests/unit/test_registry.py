"""Every registered detector is wired end to end: one parametrized test walks the registry.

A new detector is one module that registers itself; this test then names what else it needs:
its scan function and sample event, its schedule in template.yaml (a parameter), its fixtures
(positives and negatives), a playbook of its own for every kind its positives produce (not the
catch-all), and its place in the least-privilege measurement with the hash key it is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_template import template

from sentinelle.detectors import Context, registry
from sentinelle.model import parse_item
from sentinelle.playbooks import playbook_for
from sentinelle.watchlist import parse_watchlist

ROOT = Path(__file__).resolve().parents[2]
NAMES = sorted(registry())


def logical_id(name: str) -> str:
    return "Scan" + "".join(p.title() for p in name.split("_")) + "Function"


def matching_entry(detector: str, kind: str) -> Any:
    """The playbooks.yaml entry `playbook_for` uses (the first whose patterns match)."""
    from fnmatch import fnmatchcase

    from sentinelle.playbooks import _data

    playbook_for(detector, kind)  # never fails: the file ends with a catch-all
    return next(e for e in _data().playbooks
                if fnmatchcase(detector, e.detector) and any(fnmatchcase(kind, k) for k in e.kinds))


def functions() -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template()["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


@pytest.mark.parametrize("name", NAMES)
def test_every_registered_detector_is_wired(name: str) -> None:
    # its Lambda: a folder, a handler naming the detector, a sample event
    app = ROOT / "functions" / f"scan_{name}" / "app.py"
    assert app.is_file(), f"functions/scan_{name}/app.py is missing"
    assert f'DETECTOR = "{name}"' in app.read_text()
    event = ROOT / "events" / f"scan_{name}.json"
    assert event.is_file(), f"events/scan_{name}.json is missing"
    assert json.loads(event.read_text())["detail-type"] == "Scheduled Event"

    # its place in the template: code, schedule (a parameter), the hash key secret
    fn = functions().get(logical_id(name))
    assert fn is not None, f"{logical_id(name)} is not in template.yaml"
    assert fn["Properties"]["CodeUri"] == f"functions/scan_{name}/"
    (schedule,) = [e for e in fn["Properties"]["Events"].values() if e["Type"] == "Schedule"]
    assert schedule["Properties"]["Schedule"]["Ref"] in template()["Parameters"], "the schedule is a parameter"
    assert fn["Properties"]["Environment"]["Variables"]["SENTINELLE_HASH_KEY_SECRET"] == {"Ref": "HashKeySecret"}

    # its fixtures, and a playbook of its own for every kind they produce
    doc = json.loads((ROOT / "tests" / "fixtures" / "detectors" / f"{name}.json").read_text())
    assert doc["positive"] and doc["negative"], f"tests/fixtures/detectors/{name}.json needs both"
    detector = registry()[name]
    ctx = Context.ephemeral(parse_watchlist(doc["watchlist"]), explicit=True)
    kinds = {f.kind for raw in doc["positive"] for f in detector.detect(parse_item(raw), ctx)}
    assert kinds, f"no positive fixture of {name} produces a finding"
    for kind in kinds:
        assert matching_entry(name, kind).detector == name, f"{name}/{kind} falls to the catch-all playbook"

    # its place in the least-privilege measurement (tests/unit/test_least_privilege.py runs it)
    from test_least_privilege import SCAN_FUNCTIONS

    assert logical_id(name) in SCAN_FUNCTIONS


def test_every_scan_function_is_a_registered_detector() -> None:
    assert {k for k in functions() if k.startswith("Scan")} == {logical_id(n) for n in NAMES}


# -- the other registries: sources and local sinks ------------------------------------------------

def _source_types() -> list[str]:
    from sentinelle.sources import SPECS

    return sorted(SPECS)


@pytest.mark.parametrize("kind", _source_types())
def test_every_registered_source_type_is_wired(kind: str) -> None:
    """Its recorded responses beside the tests, its section in docs/sources.md, and a spec that
    builds without the network (a replay needs a file, a live platform only its settings)."""
    from sentinelle.sources import SPECS, build_source

    assert (ROOT / "tests" / "fixtures" / kind).is_dir(), f"tests/fixtures/{kind}/ holds its recorded responses"
    assert f"`{kind}`" in (ROOT / "docs" / "sources.md").read_text(), f"docs/sources.md says nothing of {kind}"
    minimal = {"replay": {"path": str(ROOT / "tests/fixtures/replay/items.jsonl")},
               "mastodon": {"instance": "mastodon.example"}, "rss": {"url": "https://blog.example/feed"}}
    source = build_source({"type": kind, **minimal.get(kind, {})}, secrets=lambda name: None)
    assert source.platform and source.name
    assert SPECS[kind].model_fields["type"].annotation is not None


@pytest.mark.parametrize("name", sorted(__import__("sentinelle.alerts.sinks", fromlist=["LOCAL_SINKS"]).LOCAL_SINKS))
def test_every_local_sink_is_documented_and_built_only_when_asked(name: str) -> None:
    from sentinelle.alerts.sinks import LOCAL_SINKS
    from sentinelle.config import AlertConfig

    assert f"| {name} |" in (ROOT / "docs" / "alerts.md").read_text().replace("SMTP", "smtp")
    off = AlertConfig(console=False, smtp=False, webhook=None)
    assert LOCAL_SINKS[name].from_config(off, {}) is None
