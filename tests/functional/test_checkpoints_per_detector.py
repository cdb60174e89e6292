"""Issue 16 item 1: one source listed under several detectors is read in full by each of them."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import yaml

from sentinelle.config import load_config
from sentinelle.runner import run_detector
from sentinelle.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def test_a_shared_replay_source_is_read_by_every_detector(tmp_path: Path) -> None:
    feed = {"type": "replay", "path": str(ROOT / "examples" / "items.jsonl")}
    config = tmp_path / "sentinelle.yaml"
    config.write_text(yaml.safe_dump({
        "watchlist": str(ROOT / "examples" / "demo" / "watchlist.yaml"),
        "detectors": {name: {"sources": [feed]} for name in ("scams", "impersonation", "leaks")}}))
    cfg = load_config(config)
    with SQLiteStore(tmp_path / "s.db") as store:
        summaries = {name: run_detector(name, config=cfg, store=store, now=NOW)
                     for name in ("scams", "impersonation", "leaks")}
        kinds = {(i.detector, i.kind) for i in store.list(limit=200).items}
        # Every detector read all four items, whichever ran first.
        assert {n: s.items_read for n, s in summaries.items()} == {"scams": 4, "impersonation": 4, "leaks": 4}
        assert {("leaks", "iban"), ("leaks", "credit_card"), ("scams", "brand_scam"),
                ("impersonation", "person_impersonation")} <= kinds
        # A second run reads nothing new for any of them.
        again = [run_detector(n, config=cfg, store=store, now=NOW) for n in summaries]
        assert [s.items_read for s in again] == [0, 0, 0]
