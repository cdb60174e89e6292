"""The impersonation detector over its fixtures: every variant found, namesakes kept quiet."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sentinelle.detectors.base import Context, get
from sentinelle.model import Severity, parse_item
from sentinelle.watchlist import parse_watchlist

DOC = json.loads((Path(__file__).parents[1] / "fixtures/detectors/impersonation.json").read_text("utf-8"))
WATCHLIST = parse_watchlist(DOC["watchlist"])
DETECTOR = get("impersonation")
NOW = datetime(2026, 11, 28, tzinfo=timezone.utc)


def run(raw):
    item = parse_item(raw)
    ctx = Context.ephemeral(watchlist=WATCHLIST, now=NOW, cache=CACHE)
    return DETECTOR.detect(item, ctx) if DETECTOR.applies(item, ctx) else []


CACHE: dict = {}


@pytest.mark.parametrize("raw", DOC["positive"], ids=lambda r: f"{r['id']}:{r['_expect']['variant']}")
def test_positive(raw):
    want = raw["_expect"]
    found = [f for f in run(raw) if f.kind == want["kind"] and f.evidence["identity"] == want["identity"]]
    assert found, [f.public() for f in run(raw)]
    f = found[0]
    assert f.severity >= Severity(want["severity_at_least"]), f.public()
    assert f.subject.kind == "account" and f.dedup == f"{want['kind'].split('_')[0]}:{want['identity']}"
    assert f.reasons and all(isinstance(r, str) and r for r in f.reasons)


@pytest.mark.parametrize("raw", DOC["negative"], ids=lambda r: f"{r['id']}:{r['_why']}")
def test_negative(raw):
    loud = [f.public() for f in run(raw) if f.severity >= Severity.medium]
    assert not loud
