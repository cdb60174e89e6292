"""A database Sentinelle cannot use says so in one line naming the file, and exits 2 (issue 13,
item 9): a corrupt file, a directory, a read-only file (which can still be read), a full disk."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import pytest

from sentinelle import cli
from sentinelle.store import StoreError
from sentinelle.store.sqlite import SQLiteStore

from test_store_contract import T0, finding


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """(exit status, standard error); standard output is in `_cli.out`."""
    code = cli.main(list(args))
    captured = capsys.readouterr()
    _cli.out = captured.out  # type: ignore[attr-defined]
    return code, captured.err


@pytest.fixture
def corrupt(tmp_path: Path) -> Path:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not a database at all " * 200)
    return path


def test_a_corrupt_database_is_one_line_naming_the_file(corrupt: Path, capsys) -> None:
    with pytest.raises(StoreError, match=r"corrupt\.db: .*not a database"):
        SQLiteStore(corrupt)
    for command in ("incidents", "run"):
        args = [command, "--db", str(corrupt)]
        if command == "run":
            args += ["--config", str(Path(__file__).resolve().parents[2] / "examples" / "demo" / "sentinelle.yaml")]
        code, err = _cli(capsys, *args)
        assert code == 2, (command, err)
        assert err.strip().count("\n") == 0 and str(corrupt) in err and "Traceback" not in err, err


def test_a_directory_is_one_line_naming_it(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "store.db"
    folder.mkdir()
    with pytest.raises(StoreError, match="is a directory"):
        SQLiteStore(folder)
    code, err = _cli(capsys, "incidents", "--db", str(folder))
    assert code == 2 and str(folder) in err and err.strip().count("\n") == 0, err


def _journal_mode(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def plain_db(tmp_path: Path) -> Path:
    """A store's file turned back to a rollback journal, as a copy or a backup would be."""
    path = tmp_path / "plain.db"
    with SQLiteStore(path) as store:
        store.record(finding(1), T0)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    return path


def test_reading_a_store_writes_nothing_to_it(plain_db: Path) -> None:
    before = plain_db.read_bytes()
    with SQLiteStore(plain_db, readonly=True) as store:
        assert [i.id for i in store.list().items] == [finding(1).incident_key]
        with pytest.raises(StoreError, match="plain.db"):
            store.record(finding(2), T0)
    assert plain_db.read_bytes() == before and _journal_mode(plain_db) == "delete"
    assert sorted(p.name for p in plain_db.parent.iterdir()) == ["plain.db"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files")
def test_a_read_only_file_can_be_listed_and_refuses_a_run_in_one_line(plain_db: Path, capsys) -> None:
    plain_db.chmod(0o444)
    code, err = _cli(capsys, "incidents", "--db", str(plain_db), "--json")
    assert code == 0, err
    code, err = _cli(capsys, "run", "--db", str(plain_db), "--config",
                     str(Path(__file__).resolve().parents[2] / "examples" / "demo" / "sentinelle.yaml"))
    assert code == 2 and str(plain_db) in err and "Traceback" not in err, err


def test_sentinelle_incidents_lists_a_store_without_touching_it(plain_db: Path, capsys) -> None:
    """What root cannot show with permissions: the listing opens the file read-only."""
    before = plain_db.read_bytes()
    code, err = _cli(capsys, "incidents", "--db", str(plain_db), "--json")
    assert code == 0 and finding(1).incident_key in _cli.out, err  # type: ignore[attr-defined]
    assert plain_db.read_bytes() == before and _journal_mode(plain_db) == "delete"


def test_a_full_disk_is_one_error_without_a_second_traceback(tmp_path: Path, caplog) -> None:
    path = tmp_path / "full.db"
    store = SQLiteStore(path)
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count={pages}")  # what a full disk looks like to SQLite
    big = [finding(n, reason="x" * 3000) for n in range(50)]
    with pytest.raises(StoreError, match=r"full\.db: .*full") as info:
        store.record_many(big, T0)
    chain, exc = [], info.value
    while exc is not None:
        chain.append(str(exc))
        exc = exc.__cause__ or exc.__context__
    assert not any("cannot rollback" in c for c in chain), chain
    store._conn.execute("PRAGMA max_page_count=1073741823")
    assert len(store.record_many(big, T0)) == 50  # room again: everything recorded
    store.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
