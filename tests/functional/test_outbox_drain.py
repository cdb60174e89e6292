"""The local alert outbox under concurrency and crashes (issue 13, item 5): two processes draining
one database never send an alert twice; a process killed mid-delivery re-sends at most the alert
in flight and loses none; one drain empties the whole outbox (a digest when it is large)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sentinelle.alerts.dispatch import LEASE_SECONDS, drain
from sentinelle.model import Change, Finding, Incident, Severity, Subject
from sentinelle.ports import Items
from sentinelle.store.sqlite import SQLiteStore
from sentinelle.watchlist import Thresholds

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)

# A drain in its own process; its sink appends each alert's incident id to a file, one line each.
WORKER = textwrap.dedent("""
    import sys, time
    from datetime import datetime, timezone
    from sentinelle.alerts.dispatch import drain
    from sentinelle.store.sqlite import SQLiteStore
    from sentinelle.watchlist import Thresholds

    db, out, pause, now = sys.argv[1], sys.argv[2], float(sys.argv[3]), datetime.fromisoformat(sys.argv[4])

    class FileSink:
        name, threshold = "file", "alert"
        def send(self, incident, change):
            time.sleep(pause)
            with open(out, "a") as f:
                f.write(incident.id + "\\n")
        def send_digest(self, items):
            with open(out, "a") as f:
                f.write("".join(i.id + "\\n" for i, _ in items))

    with SQLiteStore(db) as store:
        drain(store, [FileSink()], Thresholds(digest_after=100_000), now=now)
""")


def finding(n: int) -> Finding:
    return Finding(detector="scams", kind="brand_scam", severity=Severity.high, score=80, reasons=[f"#{n}"],
                   subject=Subject(platform="x", kind="account", id=str(n), handle=f"fake{n}"))


def seed(path: Path, n: int) -> set[str]:
    with SQLiteStore(path) as store:
        return {r.incident.id for r in store.record_many([finding(i) for i in range(n)], T0)}


def worker(db: Path, out: Path, pause: float, now: datetime) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, "-c", WORKER, str(db), str(out), str(pause), now.isoformat()], env=env)


def sent(out: Path) -> list[str]:
    return out.read_text().split() if out.exists() else []


def test_two_processes_on_one_database_send_each_alert_once(tmp_path):
    db, out = tmp_path / "s.db", tmp_path / "sent.txt"
    ids = seed(db, 300)
    procs = [worker(db, out, 0.001, T0) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    got = sent(out)
    assert sorted(got) == sorted(ids), "each alert exactly once, none lost"
    with SQLiteStore(db) as store:
        assert store.pending_count() == 0


def test_a_drain_killed_mid_delivery_resends_at_most_the_one_in_flight(tmp_path):
    db, out = tmp_path / "s.db", tmp_path / "sent.txt"
    ids = seed(db, 200)
    proc = worker(db, out, 0.02, T0)
    deadline = time.monotonic() + 60
    while len(sent(out)) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    before = sent(out)
    assert 40 <= len(before) < 200, "killed while delivering"
    # Right after the crash the rows are still leased to the dead process: nobody sends them twice.
    assert worker(db, out, 0, T0 + timedelta(seconds=1)).wait(timeout=60) == 0
    assert len(sent(out)) == len(before)
    # Once the lease has lapsed, the next drain sends the rest.
    assert worker(db, out, 0, T0 + timedelta(seconds=LEASE_SECONDS + 1)).wait(timeout=60) == 0
    got = sent(out)
    assert set(got) == ids, "nothing lost"
    assert len(got) - len(ids) <= 1, "at most the alert in flight when it was killed is sent twice"


class Counting:
    name, threshold = "counting", "alert"

    def __init__(self) -> None:
        self.single: list[str] = []
        self.digests: list[int] = []

    def send(self, incident: Incident, change: Change) -> None:
        self.single.append(incident.id)

    def send_digest(self, items: Items) -> None:
        self.digests.append(len(items))


def test_one_drain_empties_the_whole_outbox_as_one_digest(tmp_path):
    db = tmp_path / "s.db"
    seed(db, 2500)
    sink = Counting()
    with SQLiteStore(db) as store:
        report = drain(store, [sink], Thresholds(digest_after=10), now=T0)
        assert report.digest and sink.digests == [2500] and sink.single == []
        assert store.pending_count() == 0
        again = Counting()
        drain(store, [again], Thresholds(digest_after=10), now=T0)  # a run with nothing new pages no one
        assert again.digests == [] and again.single == []


def test_a_failing_sink_gives_its_alerts_back_for_the_next_run(tmp_path):
    class Down(Counting):
        def send(self, incident: Incident, change: Change) -> None:
            raise ConnectionError("relay down")

    db = tmp_path / "s.db"
    ids = seed(db, 3)
    with SQLiteStore(db) as store:
        report = drain(store, [Down()], Thresholds(), now=T0)
        assert sorted(report.pending) == sorted(a.id for a in store.pending_alerts())
        sink = Counting()
        drain(store, [sink], Thresholds(), now=T0)  # released at once, not after the lease
        assert sorted(sink.single) == sorted(ids)
