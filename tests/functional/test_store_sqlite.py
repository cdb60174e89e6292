"""What only the embedded store does: the alert outbox, the file itself, expiry purge, the factory."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from sentinelle.model import Change, Status
from sentinelle.store import open_store
from sentinelle.store.sqlite import SQLiteStore

from test_store_contract import T0, finding


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "sub" / "s.db")
    yield s
    s.close()


def test_outbox_one_alert_per_change(store):
    batch = [finding(1), finding(2), finding(2)]
    store.record_many(batch, T0)
    alerts = store.pending_alerts()
    assert [(a.incident.id, a.change) for a in alerts] == [
        (finding(1).incident_key, Change.new), (finding(2).incident_key, Change.new)]
    assert alerts[1].incident.occurrences == 2  # the current incident, not a snapshot

    # The same findings again: nothing new to say.
    store.record_many(batch, T0 + timedelta(hours=1))
    assert len(store.pending_alerts()) == 2

    store.mark_sent([alerts[0].id])
    assert [a.id for a in store.pending_alerts()] == [alerts[1].id]
    store.mark_sent([a.id for a in store.pending_alerts()])
    assert store.pending_alerts() == []

    store.record(finding(1, severity="critical", score=95), T0 + timedelta(hours=2))
    (esc,) = store.pending_alerts()
    assert esc.change is Change.escalated and esc.incident.severity.value == "critical"


def test_claims_are_disjoint_and_a_lapsed_lease_comes_back(store):
    store.record_many([finding(n) for n in range(1, 6)], T0)
    first = store.claim_alerts("a", T0, lease_seconds=60, limit=3)
    second = store.claim_alerts("b", T0)
    assert len(first) == 3 and len(second) == 2
    assert not {a.id for a in first} & {a.id for a in second}
    assert store.claim_alerts("c", T0 + timedelta(seconds=30)) == []  # every row is held
    store.mark_sent([first[0].id])
    store.release([first[1].id])
    again = store.claim_alerts("c", T0 + timedelta(seconds=30))
    assert [a.id for a in again] == [first[1].id]  # given back: claimable at once
    late = store.claim_alerts("d", T0 + timedelta(seconds=61))  # a's lease lapsed; b's (300 s) holds
    assert [a.id for a in late] == [first[2].id]


def test_an_outbox_made_before_the_lease_is_upgraded(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
                 "incident_id TEXT NOT NULL, change TEXT NOT NULL, created_at TEXT NOT NULL, sent_at TEXT)")
    conn.commit()
    conn.close()
    with SQLiteStore(path) as s:
        s.record(finding(1), T0)
        assert len(s.claim_alerts("x", T0)) == 1


def test_outbox_row_rolls_back_with_the_incident(store, monkeypatch):
    """The incidents and their alerts are one transaction: nothing survives a failure."""
    import uuid

    class Same:
        hex = "same-id"  # the second alert row then breaks the outbox's unique id

    monkeypatch.setattr(uuid, "uuid4", lambda: Same)
    with pytest.raises(sqlite3.IntegrityError):
        store.record_many([finding(1), finding(2)], T0)
    monkeypatch.undo()
    assert store.pending_alerts() == [] and store.list().items == []


def test_new_then_escalated_in_one_batch_is_one_alert(store):
    store.record_many([finding(1), finding(1, severity="high", score=80)], T0)
    (alert,) = store.pending_alerts()
    assert alert.change is Change.new and alert.incident.severity.value == "high"


def test_a_false_positive_leaves_no_alert(store):
    inc = store.record(finding(1), T0).incident
    store.mark_sent([a.id for a in store.pending_alerts()])
    store.update(inc.id, status=Status.false_positive, note=None, assignee=None, actor="a", now=T0)
    store.record(finding(1, severity="critical", score=99), T0)
    assert store.pending_alerts() == []


def test_wal_file_and_indexes(store):
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    plan = " ".join(str(r) for r in conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM incidents WHERE status = 'open' ORDER BY last_seen DESC, id DESC"))
    assert "incidents_status" in plan and "TEMP B-TREE" not in plan
    plan = " ".join(str(r) for r in conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM incidents ORDER BY last_seen DESC, id DESC LIMIT 5"))
    assert "incidents_recent" in plan
    conn.close()


def test_purge_expired(store):
    inc = store.record(finding(1), T0).incident
    store.record(finding(2), T0)
    store.update(inc.id, status=Status.resolved, note=None, assignee=None, actor="a", now=T0)
    assert store.purge_expired(T0 + timedelta(days=1)) == 0
    assert store.purge_expired(T0 + timedelta(days=400)) == 1
    assert [i.id for i in store.list().items] == [finding(2).incident_key]


def test_reopened_across_handles(tmp_path):
    """Two handles on one file see each other's writes (what two processes do)."""
    a, b = SQLiteStore(tmp_path / "x.db"), SQLiteStore(tmp_path / "x.db")
    a.record(finding(1), T0)
    assert b.record(finding(1), T0).change is Change.repeat
    b.put_checkpoint("s", "q", "9", T0)
    assert a.get_checkpoint("s", "q") == "9"
    a.close()
    b.close()


@pytest.mark.parametrize("url", ["{p}", "sqlite:///{p}"])
def test_open_store_paths(tmp_path, url):
    p = tmp_path / "f.db"
    s = open_store(url.format(p=p))
    assert isinstance(s, SQLiteStore) and p.exists()
    s.close()


def test_open_store_refuses_unknown_scheme():
    with pytest.raises(ValueError, match="unknown store"):
        open_store("postgres://x")


RACER = """
import sys
from datetime import datetime, timezone
from sentinelle.model import Finding, Severity, Subject
from sentinelle.store.sqlite import SQLiteStore

store = SQLiteStore(sys.argv[1])
sys.stdin.readline()  # start together
for i in range(30):
    f = Finding(detector="scams", kind="k", severity=Severity.medium, score=60, reasons=["r"],
                subject=Subject(platform="x", kind="account", id=f"a{i % 10}"))
    print(store.record(f, datetime.now(timezone.utc)).change.value, flush=True)
"""


def test_two_processes_record_the_same_keys(tmp_path):
    import subprocess
    import sys

    db = str(tmp_path / "race.db")
    SQLiteStore(db).close()  # schema first, so both racers only write incidents
    procs = [subprocess.Popen([sys.executable, "-c", RACER, db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True) for _ in range(2)]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [p.communicate(timeout=60)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    changes = outs[0] + outs[1]
    assert changes.count("new") == 10 and changes.count("repeat") == 50
    with SQLiteStore(db) as s:
        assert sum(a.change is Change.new for a in s.pending_alerts()) == 10
        assert sum(i.occurrences for i in s.list(limit=100).items) == 60
