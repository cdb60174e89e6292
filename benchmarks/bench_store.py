"""Store speed: SQLite recording and listing rates, DynamoDB calls per finding (under moto)."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import datetime, timedelta, timezone

from sentinelle.model import MAX_FINDINGS, Finding, Severity, Status, Subject

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def _finding(n: int, reason: str = "asks for card details") -> Finding:
    return Finding(detector="scams" if n % 2 else "leaks", kind="fake_support",
                   severity=[Severity.low, Severity.medium, Severity.high][n % 3], score=60,
                   reasons=[reason, "links to a lookalike domain"],
                   evidence={"text": "DM us your card number for a refund " * 3, "domain": "examp1e-help.com"},
                   subject=Subject(platform="mastodon", kind="account", id=f"acct{n}", handle=f"acct{n}",
                                   url=f"https://mastodon.example/@acct{n}"))


def _timed(fn) -> float:
    """CPU seconds of this process: steadier than wall time on a shared 2-core machine, and the
    store's work is CPU-bound (SQLite WAL with synchronous=NORMAL rarely waits on the disk)."""
    started = time.process_time()
    fn()
    return time.process_time() - started


def _sqlite_rows() -> list[tuple[str, str, str]]:
    from sentinelle.store.sqlite import SQLiteStore

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(os.path.join(tmp, "bench.db"))
        new = [_finding(i) for i in range(10_000)]
        t = _timed(lambda: store.record_many(new, T0))
        rows.append(("record_many: 10,000 new incidents, one transaction", f"{t:.2f} s", f"{10_000 / t:,.0f} findings/s"))
        t = _timed(lambda: store.record_many(new, T0 + timedelta(hours=1)))
        rows.append(("record_many: the same 10,000 again (all repeats)", f"{t:.2f} s", f"{10_000 / t:,.0f} findings/s"))
        # Worst case for repeats: incidents already holding MAX_FINDINGS findings each.
        hot = [_finding(i) for i in range(500)]
        for k in range(MAX_FINDINGS):
            store.record_many(hot, T0 + timedelta(hours=2, minutes=k))
        repeats = hot * 20
        t = _timed(lambda: store.record_many(repeats, T0 + timedelta(hours=3)))
        rows.append((f"record_many: 10,000 repeats of 500 incidents holding {MAX_FINDINGS} findings", f"{t:.2f} s",
                     f"{10_000 / t:,.0f} findings/s"))
        single = [_finding(i) for i in range(20_000, 21_000)]
        t = _timed(lambda: [store.record(f, T0) for f in single])
        rows.append(("record: 1,000 calls, a transaction each", f"{t:.2f} s", f"{t:.2f} ms/call"))
        n = 200
        t = _timed(lambda: [store.list(limit=50) for _ in range(n)])
        rows.append(("list: first page of 50 among 11,000 incidents", f"{t / n * 1000:.1f} ms", ""))
        t = _timed(lambda: [store.list(status=Status.open, severity=Severity.high, detector="scams", limit=50)
                            for _ in range(n)])
        rows.append(("list: status + severity + detector, 50 items", f"{t / n * 1000:.1f} ms", ""))
        size = os.path.getsize(os.path.join(tmp, "bench.db")) + os.path.getsize(os.path.join(tmp, "bench.db-wal"))
        rows.append(("file size (db + WAL) for 11,000 incidents", f"{size / 1e6:.1f} MB", ""))
        store.close()
    return rows


def _dynamodb_rows() -> list[tuple[str, str, str]]:
    from moto import mock_aws

    from benchmarks import counting_aws_calls

    rows = []
    with counting_aws_calls() as calls, mock_aws():
        from sentinelle.store.dynamodb import DynamoDBStore, create_table

        create_table("sentinelle-bench")
        store = DynamoDBStore("sentinelle-bench")
        findings = [_finding(i % 500) for i in range(1_000)]
        calls.clear()
        store.record_many(findings, T0)
        writes = sum(calls[o] for o in ("PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems"))
        reads = sum(calls[o] for o in ("GetItem", "BatchGetItem", "Query"))
        rows.append(("record_many: 1,000 findings (500 incidents): writes", f"{writes}", f"{writes / 1000:.2f} per finding"))
        rows.append(("record_many: 1,000 findings: read calls (batched)", f"{reads}", f"{reads / 1000:.3f} per finding"))
        calls.clear()
        store.record(_finding(9_999), T0)
        rows.append(("record: one finding: calls", " + ".join(f"{v} {k}" for k, v in sorted(calls.items())), ""))
        calls.clear()
        page = store.list(status=Status.open, severity=Severity.high, limit=50)
        rows.append((f"list: status + severity, {len(page.items)} items: calls",
                     " + ".join(f"{v} {k}" for k, v in sorted(calls.items())), "no Scan" if not calls["Scan"] else "SCAN"))
    return rows


def run() -> str:
    lines = ["## Store", "",
             "`python -m benchmarks store`. SQLite on a temporary file (WAL), CPU time of the process;",
             "DynamoDB counts API calls under moto (its times say nothing about AWS, so only calls are shown).",
             "",
             "| measure | value | rate |", "|---|---|---|"]
    for name, value, rate in _sqlite_rows() + _dynamodb_rows():
        lines.append(f"| {name} | {value} | {rate} |")
    out = "\n".join(lines) + "\n"
    return out


if __name__ == "__main__":
    print(run())
