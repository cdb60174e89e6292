"""`make run` end to end: the demo's three scenarios become incidents, once, with one alert each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sentinelle.readers import ReaderUnavailable, make_reader
from sentinelle.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]


def sentinelle(*args, env=None, cwd=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "sentinelle.cli", *args], capture_output=True, text=True,
                          timeout=300, env=full_env, cwd=cwd)


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    """Run the demo twice into one fresh database, from a folder with no sentinelle.yaml."""
    tmp = tmp_path_factory.mktemp("demo")
    env = {"SENTINELLE_DB": str(tmp / "sentinelle.db"), "COLUMNS": "200"}
    first = sentinelle("run", env=env, cwd=tmp)
    second = sentinelle("run", env=env, cwd=tmp)
    return tmp / "sentinelle.db", first, second


def test_demo_runs_and_finds_all_three_scenarios(demo_runs):
    db, first, _ = demo_runs
    assert first.returncode == 0, first.stderr + first.stdout
    with SQLiteStore(db) as store:
        incidents = store.list(limit=200).items
    by_detector = {d: [i for i in incidents if i.detector == d] for d in ("scams", "impersonation", "leaks")}

    # (a) the fake coupon account under #MaisonLumiere whose flyer asks for a call and the card: high or
    # critical, and the finding says the flyer was read.
    coupon = [i for i in by_detector["scams"] if i.subject.handle == "maisonlumiere_offres@mastodon.social"]
    assert coupon and coupon[0].severity.value in ("high", "critical")
    assert any("read by OCR" in r for r in coupon[0].reasons), coupon[0].reasons
    # (b) six accounts copying the adviser; the five with lookalike login links are high.
    copies = [i for i in by_detector["impersonation"] if i.severity.value in ("medium", "high", "critical")]
    handles = {i.subject.handle for i in copies}
    assert len(handles) >= 6, handles
    assert "clairedubois_aquarelle@mastodon.art" not in handles  # a namesake, not an impersonator
    assert "claire-dubois-run.bsky.social" not in handles
    assert "clairedubois@mastodon.social" not in handles  # her own account
    assert sum(1 for i in copies if i.severity.value in ("high", "critical")) >= 5
    # (c) the doctor's photographed patient record: critical, found in the picture, nothing raw kept.
    record = [i for i in by_detector["leaks"] if i.subject.handle == "drmarchand@mastodon.social"]
    assert record and max(i.severity.value == "critical" for i in record)
    assert {i.evidence.get("picture", {}).get("which") for i in record} == {"image 1 of 1, read by OCR"}
    stored = json.dumps([i.model_dump(mode="json") for i in record])
    assert "112 045" not in stored and "2580375112045" not in stored
    # Official accounts are never reported as scammers or impersonators.
    assert not [i for i in incidents if i.detector != "leaks" and i.subject.handle in
                ("maisonlumiere@mastodon.social", "maisonlumiere")]
    # The health centre's own contact number is not a leak.
    assert not [i for i in by_detector["leaks"] if i.subject.handle == "santelumiere@mastodon.social"
                and i.severity.value in ("medium", "high", "critical")]


def test_demo_run_again_adds_no_duplicate_and_no_second_alert(demo_runs):
    db, first, second = demo_runs
    assert second.returncode == 0, second.stderr
    with SQLiteStore(db) as store:
        incidents = store.list(limit=200).items
        assert store.pending_alerts() == []
    assert len({i.id for i in incidents}) == len(incidents)
    # The first run printed its alerts (as one digest: more than `digest_after`); the second none.
    assert "[Sentinelle" in first.stdout and "critical" in first.stdout.lower()
    assert "[Sentinelle" not in second.stdout and "Scan summary" in second.stdout


def test_incidents_table_lists_them(demo_runs):
    db, _, _ = demo_runs
    out = sentinelle("incidents", "--db", str(db), "--severity", "high", env={"COLUMNS": "250"})
    assert out.returncode == 0, out.stderr
    assert "critical" in out.stdout and "leaks" in out.stdout


def test_incidents_table_stays_readable_at_80_columns(demo_runs):
    """What `make run` prints last, on a terminal (or a CI log) of 80 columns: ids and severities
    whole, no line past the edge; the reasons are one flag away."""
    db, _, _ = demo_runs
    out = sentinelle("incidents", "--db", str(db), env={"COLUMNS": "80"})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert all(len(line.rstrip()) <= 80 for line in lines), max(lines, key=len)
    header = next(line for line in lines if "id" in line and "severity" in line)
    assert all(word in header for word in ("id", "severity", "what", "status", "who"))
    ids = [i.id[:10] for i in SQLiteStore(str(db)).list(limit=5).items]
    assert all(i in out.stdout for i in ids) and "--json" in out.stdout


def test_serve_refuses_to_start_without_a_token(tmp_path):
    out = sentinelle("serve", "--db", str(tmp_path / "s.db"))
    assert out.returncode == 2 and "SENTINELLE_API_TOKEN" in out.stderr


def test_run_with_a_bad_config_exits_2_naming_the_key(tmp_path):
    cfg = tmp_path / "sentinelle.yaml"
    (tmp_path / "wl.yaml").write_text("organization: A\n", encoding="utf-8")
    cfg.write_text("watchlist: wl.yaml\ndetectors:\n  scams:\n    every: soon\n", encoding="utf-8")
    out = sentinelle("run", "--config", str(cfg), "--db", str(tmp_path / "s.db"))
    assert out.returncode == 2 and "detectors.scams.every" in out.stderr


def test_run_with_a_bad_source_spec_exits_2_before_anything_runs(tmp_path):
    cfg = tmp_path / "sentinelle.yaml"
    (tmp_path / "wl.yaml").write_text("organization: A\n", encoding="utf-8")
    cfg.write_text("watchlist: wl.yaml\ndetectors:\n  scams:\n    sources:\n      - {type: mastodon, instance: mastodon.social, limt: 5}\n",
                   encoding="utf-8")
    out = sentinelle("run", "--config", str(cfg), "--db", str(tmp_path / "s.db"))
    assert out.returncode == 2 and "detectors.scams.sources[0]" in out.stderr and "limt" in out.stderr
    assert not (tmp_path / "s.db").exists()


def test_a_source_that_could_not_be_checked_is_named_and_exits_1(tmp_path):
    (tmp_path / "wl.yaml").write_text("organization: A\nbrands: [{name: Acme, hashtags: [Acme]}]\n", encoding="utf-8")
    cfg = tmp_path / "sentinelle.yaml"
    cfg.write_text("watchlist: wl.yaml\ndetectors:\n  scams:\n    sources:\n      - {type: replay, path: gone.jsonl}\n",
                   encoding="utf-8")
    out = sentinelle("run", "--config", str(cfg), "--db", str(tmp_path / "s.db"), env={"COLUMNS": "200"})
    assert out.returncode == 1
    assert "could not check replay:gone.jsonl" in out.stdout and "for scams" in out.stdout


@pytest.mark.parametrize("engine", ["rapidocr", "tesseract"])
def test_a_real_engine_reads_the_demo_pictures(engine, tmp_path):
    """The other tests read the demo's pictures with a stand-in; here the engine `make run` installs
    (RapidOCR) or Tesseract, when the machine has it, must keep scenarios (a) and (c) found."""
    try:
        make_reader(engine)
    except ReaderUnavailable as exc:
        pytest.skip(str(exc))
    env = {"SENTINELLE_DB": str(tmp_path / "sentinelle.db"), "SENTINELLE_OCR": engine}
    assert sentinelle("run", env=env, cwd=tmp_path).returncode == 0
    with SQLiteStore(tmp_path / "sentinelle.db") as store:
        incidents = store.list(limit=200).items
    record = [i for i in incidents if i.detector == "leaks" and i.subject.handle == "drmarchand@mastodon.social"]
    assert any(i.severity.value == "critical" and "picture" in i.evidence for i in record)
    coupon = [i for i in incidents if i.detector == "scams" and i.subject.handle == "maisonlumiere_offres@mastodon.social"]
    assert coupon and coupon[0].severity.value in ("high", "critical")
