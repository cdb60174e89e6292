"""Issue 16 item 2: every command honours the configuration's `store:`; none makes a database
(or a folder) it was not asked to make."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from sentinelle.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's folder: a watchlist, a replayed feed and a configuration whose store is elsewhere."""
    folder = tmp_path / "bank"
    folder.mkdir()
    shutil.copy(ROOT / "examples" / "demo" / "watchlist.yaml", folder / "watchlist.yaml")
    shutil.copy(ROOT / "examples" / "items.jsonl", folder / "items.jsonl")
    (folder / "sentinelle.yaml").write_text(
        "watchlist: watchlist.yaml\nstore: data/incidents.db\ndetectors:\n"
        "  scams:\n    sources: [{type: replay, path: items.jsonl}]\n", encoding="utf-8")
    for name in ("SENTINELLE_DB", "SENTINELLE_CONFIG", "SENTINELLE_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return folder


def test_incidents_and_serve_read_the_configured_store(project: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project)
    assert main(["run"]) == 0
    assert (project / "data" / "incidents.db").exists() and not (project / ".sentinelle").exists()
    capsys.readouterr()
    # From the project's folder (its sentinelle.yaml) and from anywhere else with --config.
    assert main(["incidents", "--json"]) == 0
    here = [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["incidents", "--json", "--config", str(project / "sentinelle.yaml")]) == 0
    there = [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]
    assert here and here == there
    assert not (elsewhere / ".sentinelle").exists()

    served: dict[str, Any] = {}
    monkeypatch.setattr("sentinelle.api.server.serve", lambda store, **kw: served.update(store=store, **kw))
    monkeypatch.setenv("SENTINELLE_API_TOKEN", "t")
    assert main(["serve", "--config", str(project / "sentinelle.yaml")]) == 0
    assert Path(served["store"].path).resolve() == (project / "data" / "incidents.db").resolve()
    assert served["watchlist"].organization == "Maison Lumière"


def test_no_command_but_run_creates_a_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("SENTINELLE_DB", "SENTINELLE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SENTINELLE_API_TOKEN", "t")
    missing = tmp_path / "nonexistent" / "x.db"
    for argv in (["incidents"], ["incidents", "--db", str(missing)], ["incidents", "show", "abc", "--db", str(missing)],
                 ["serve", "--db", str(missing)]):
        assert main(argv) == 2, argv
        assert "no store at" in capsys.readouterr().err
    # run makes the file it is told to, but not a folder nobody asked for.
    assert main(["run", "--db", str(missing)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "nonexistent").exists() and not (tmp_path / ".sentinelle").exists()
