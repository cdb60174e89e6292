"""Issue 16 item 8: a command line that says what it accepts, and output that survives `| head`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from api_helpers import seed

from sentinelle.cli import build_parser, main
from sentinelle.store.sqlite import SQLiteStore


@pytest.mark.parametrize("argv", [["-v", "run"], ["run", "-v"], ["incidents", "show", "ab", "-v"],
                                  ["-v", "incidents", "--db", "x", "ack", "ab"], ["config", "validate", "-v"]])
def test_verbose_is_taken_before_or_after_the_subcommand(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).verbose is True


def test_options_before_or_after_the_action_both_count() -> None:
    assert build_parser().parse_args(["incidents", "--db", "a.db", "show", "ab"]).db == "a.db"
    assert build_parser().parse_args(["incidents", "show", "ab", "--db", "b.db"]).db == "b.db"
    assert getattr(build_parser().parse_args(["run"]), "verbose", False) is False


@pytest.mark.parametrize("argv, says", [
    (["incidents", "--status", "closed"], "choose from 'open', 'acknowledged'"),
    (["incidents", "--severity", "urgent"], "'info', 'low', 'medium', 'high', 'critical'"),
    (["incidents", "--limit", "-1"], "-1 is not between 1 and 200"),
    (["incidents", "--limit", "500"], "500 is not between 1 and 200"),
    (["run", "--cycles", "0"], "0 is not 1 or more"),
    (["run", "--every", "soon"], "'soon' is not an interval"),
])
def test_invalid_values_are_refused_listing_the_valid_ones(argv: list[str], says: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        code = main(argv)
        raise SystemExit(code)
    assert info.value.code == 2 and says in capsys.readouterr().err


def test_a_closed_pipe_is_no_traceback(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with SQLiteStore(db) as store:
        seed(store, 150)
    env = {k: v for k, v in os.environ.items() if k not in ("SENTINELLE_DB", "SENTINELLE_CONFIG")}
    reader = subprocess.Popen([sys.executable, "-m", "sentinelle.cli", "incidents", "--db", str(db), "--json",
                               "--limit", "200"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert reader.stdout is not None and reader.stdout.readline()
    reader.stdout.close()  # what `| head -1` does
    _, err = reader.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_run_json_prints_one_summary_per_detector(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SENTINELLE_CONFIG", raising=False)
    assert main(["run", "--json", "--db", str(tmp_path / "s.db"), "--detector", "leaks", "--detector", "scams"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]  # alerts went to stderr
    assert [x["detector"] for x in lines] == ["leaks", "scams"] and all(x["items_read"] > 0 for x in lines)


def test_check_takes_the_watchlist_of_a_run_configuration() -> None:
    root = Path(__file__).resolve().parents[3]
    items = (root / "examples" / "items.jsonl").open("rb")
    args = [sys.executable, "-m", "sentinelle.cli", "check"]
    by_config = subprocess.run([*args, "--config", "examples/demo/sentinelle.yaml"], cwd=root, stdin=items,
                               capture_output=True, timeout=120, check=False)
    items.seek(0)
    by_watchlist = subprocess.run([*args, "--watchlist", "examples/demo/watchlist.yaml"], cwd=root, stdin=items,
                                  capture_output=True, timeout=120, check=False)
    assert by_config.returncode == 0 and by_config.stdout == by_watchlist.stdout
    neither = subprocess.run(args, cwd=root, stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False)
    assert neither.returncode == 2 and b"--watchlist PATH" in neither.stderr
