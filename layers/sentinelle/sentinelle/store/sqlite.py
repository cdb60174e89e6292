"""The embedded store: incidents, checkpoints, allowlist and alert outbox in one SQLite file."""

from __future__ import annotations

import builtins

import secrets
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sentinelle.model import Change, Finding, Incident, Severity, Status, utcnow
from sentinelle.ports import Alert, NotFound, Page, Recorded, StoreError
from sentinelle.hashkey import key_beside, key_file
from sentinelle.incidents import DEFAULT_TTL_DAYS, allow_key, allow_reason, apply_update, expiry, merge_finding, recorded_change
from sentinelle.store.common import ts

SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    detector TEXT NOT NULL,
    platform TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,
    last_seen TEXT NOT NULL,
    expires_at INTEGER,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_status ON incidents (status, last_seen, id);
CREATE INDEX IF NOT EXISTS incidents_detector ON incidents (detector, last_seen, id);
CREATE INDEX IF NOT EXISTS incidents_recent ON incidents (last_seen, id);
CREATE INDEX IF NOT EXISTS incidents_expiry ON incidents (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    incident_id TEXT NOT NULL,
    change TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    claimed_by TEXT,
    claimed_until TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (seq) WHERE sent_at IS NULL;
CREATE TABLE IF NOT EXISTS checkpoints (
    source TEXT NOT NULL,
    query TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (source, query)
);
CREATE TABLE IF NOT EXISTS kv (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
);
CREATE TABLE IF NOT EXISTS allowlist (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    reason TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
"""


def _unusable(exc: sqlite3.DatabaseError) -> bool:
    """The file cannot be used (full, read-only, locked, corrupt), as opposed to a bad statement."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


def _why(exc: BaseException) -> str:
    """SQLite's reason in a sentence: a read-only file, a full disk, a file that is not a database."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, sqlite3.OperationalError) and "readonly" in text:
        text += " (the file or its folder is not writable: read with `sentinelle incidents`, or fix the permissions)"
    return text


class SQLiteStore:
    """IncidentStore, CheckpointStore and Outbox over one SQLite file (WAL, safe across processes)."""

    def __init__(self, path: str | Path, *, ttl_days: int = DEFAULT_TTL_DAYS, timeout: float = 30.0,
                 readonly: bool = False):
        """`readonly` opens an existing file for reading only: no journal change, no schema
        statement, so a file the user may not write (or a read-only mount) can still be listed.
        Raises StoreError, naming the file, when it is a directory, not a database, or unusable."""
        self.path = str(path)
        self.ttl_days = ttl_days
        self._lock = threading.RLock()  # one connection, shared by the threads of a local server
        self._hash_key: bytes | None = None
        memory = self.path == ":memory:"
        if not memory and Path(self.path).is_dir():
            raise StoreError(f"{self.path}: is a directory, not a database file")
        try:
            if readonly:
                # Autocommit mode everywhere: transactions are explicit (BEGIN IMMEDIATE) so writers
                # queue, not fail.
                self._conn = sqlite3.connect(f"{Path(self.path).resolve().as_uri()}?mode=ro", uri=True,
                                             timeout=timeout, isolation_level=None, check_same_thread=False)
            else:
                if not memory:
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                             check_same_thread=False)
            with self._lock:
                self._conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
                if readonly:
                    self._conn.execute("SELECT count(*) FROM incidents").fetchone()  # a database, ours
                    return
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
                with self._write() as c:
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            c.execute(statement)
                    columns = {r[1] for r in c.execute("PRAGMA table_info(outbox)")}
                    for column in ("claimed_by", "claimed_until"):  # databases made before the lease
                        if column not in columns:
                            c.execute(f"ALTER TABLE outbox ADD COLUMN {column} TEXT")
        except StoreError:
            self._close_quietly()
            raise
        except (sqlite3.Error, OSError) as exc:
            self._close_quietly()
            raise StoreError(f"{self.path}: cannot open the database: {_why(exc)}") from exc

    def _close_quietly(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()

    def hash_key(self) -> bytes:
        """The key of this database's keyed hashes: `<database>.key`, made on first use (mode 0600);
        an in-memory database has a random one that dies with it."""
        if self._hash_key is None:
            memory = self.path == ":memory:" or self.path.startswith("file::memory:")
            self._hash_key = secrets.token_bytes(32) if memory else key_file(key_beside(self.path))
        return self._hash_key

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "SQLiteStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; IMMEDIATE takes the write lock up front so two processes
        recording the same key serialise instead of both seeing 'no incident yet'."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                    self._conn.execute("COMMIT")
                except BaseException:
                    # SQLite already rolled back after some errors (a full disk): a second
                    # ROLLBACK would only add a misleading "cannot rollback" to the report.
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.DatabaseError as exc:
                if not _unusable(exc):
                    raise  # a constraint broken by a bug is not the file's fault: keep its type
                raise StoreError(f"{self.path}: cannot write to the database: {_why(exc)}") from exc

    # -- incidents ---------------------------------------------------------------------------

    def record(self, finding: Finding, now: datetime) -> Recorded:
        return self.record_many([finding], now)[0]

    def record_many(self, findings: Sequence[Finding], now: datetime) -> list[Recorded]:
        """Record findings in one transaction: one read and one write per incident, one fsync; the
        change each incident went through is written with it, as its outbox row."""
        findings = list(findings)
        if not findings:
            return []
        out: list[Recorded] = []
        with self._write() as c:
            current = self._load(c, {f.incident_key for f in findings})
            existed = set(current)
            changes: dict[str, list[Change]] = {}
            for finding in findings:
                incident, change = merge_finding(current.get(finding.incident_key), finding, now)
                current[incident.id] = incident
                changes.setdefault(incident.id, []).append(change)
                out.append(Recorded(incident, change))
            alerts = {i: recorded_change(chs) for i, chs in changes.items()}
            alerts = {i: ch for i, ch in alerts.items() if ch.alerts}
            touched = set(changes)
            rows = [self._row(current[i]) for i in touched]
            # A sighting keeps expires_at: it does not change how long a closed incident is kept.
            c.executemany("UPDATE incidents SET status=?, detector=?, platform=?, severity_rank=?, "
                          "last_seen=?, data=? WHERE id=?", [r for r in rows if r[-1] in existed])
            c.executemany("INSERT INTO incidents (status, detector, platform, severity_rank, last_seen, "
                          "data, id) VALUES (?, ?, ?, ?, ?, ?, ?)", [r for r in rows if r[-1] not in existed])
            # ... but a reopened incident is open again: it is kept until someone closes it.
            c.executemany("UPDATE incidents SET expires_at = NULL WHERE id = ?",
                          [(r.incident.id,) for r in out if r.change is Change.reopened])
            c.executemany("INSERT INTO outbox (id, incident_id, change, created_at) VALUES (?, ?, ?, ?)",
                          [(uuid.uuid4().hex, i, ch.value, ts(now)) for i, ch in alerts.items()])
        return out

    @staticmethod
    def _load(c: sqlite3.Connection, ids: set[str]) -> dict[str, Incident]:
        found: dict[str, Incident] = {}
        ordered = sorted(ids)
        for i in range(0, len(ordered), 500):  # stay under SQLite's bound-parameter limit
            chunk = ordered[i:i + 500]
            sql = f"SELECT data FROM incidents WHERE id IN ({','.join('?' * len(chunk))})"
            for (data,) in c.execute(sql, chunk):
                inc = Incident.model_validate_json(data)
                found[inc.id] = inc
        return found

    @staticmethod
    def _row(incident: Incident) -> tuple[Any, ...]:
        return (incident.status.value, incident.detector, incident.platform, incident.severity.rank,
                ts(incident.last_seen), incident.model_dump_json(), incident.id)

    def _put(self, c: sqlite3.Connection, incident: Incident, expires_at: int | None) -> None:
        c.execute("INSERT OR REPLACE INTO incidents (status, detector, platform, severity_rank, last_seen, "
                  "data, id, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (*self._row(incident), expires_at))

    def get(self, incident_id: str) -> Incident:
        with self._lock:
            row = self._conn.execute("SELECT data FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        if row is None:
            raise NotFound(incident_id)
        return Incident.model_validate_json(row[0])

    def list(
        self,
        *,
        status: Status | None = None,
        severity: Severity | None = None,
        detector: str | None = None,
        platform: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        position: dict[str, Any] | None = None,
    ) -> Page:
        where: builtins.list[str] = []
        args: builtins.list[str | int] = []
        if status is not None:
            where.append("status = ?")
            args.append(Status(status).value)
        if severity is not None:
            where.append("severity_rank >= ?")
            args.append(Severity(severity).rank)
        if detector is not None:
            where.append("detector = ?")
            args.append(detector)
        if platform is not None:
            where.append("platform = ?")
            args.append(platform)
        if since is not None:
            where.append("last_seen >= ?")
            args.append(ts(since))
        if position:
            try:
                after = (str(position["last_seen"]), str(position["id"]))
            except (KeyError, TypeError) as exc:
                raise ValueError("position is not one this store returned") from exc
            where.append("(last_seen, id) < (?, ?)")
            args.extend(after)
        limit = max(1, int(limit))
        sql = "SELECT last_seen, id, data FROM incidents"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY last_seen DESC, id DESC LIMIT ?"
        with self._lock:
            rows = self._conn.execute(sql, (*args, limit + 1)).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        items = [Incident.model_validate_json(r[2]) for r in rows]
        nxt = {"last_seen": rows[-1][0], "id": rows[-1][1]} if more else None
        return Page(items=items, next_position=nxt)

    def update(
        self,
        incident_id: str,
        *,
        status: Status | None = None,
        note: str | None = None,
        assignee: str | None = None,
        actor: str,
        now: datetime,
        detail: dict[str, Any] | None = None,
    ) -> Incident:
        with self._write() as c:
            row = c.execute("SELECT data, expires_at FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            if row is None:
                raise NotFound(incident_id)
            before = Incident.model_validate_json(row[0])
            incident = apply_update(before, status=status, note=note, assignee=assignee, actor=actor,
                                    now=now, detail=detail)
            expires_at = row[1]
            if incident.status is not before.status:
                expires_at = expiry(incident, now, self.ttl_days)
            self._put(c, incident, expires_at)
        return incident

    def expires_at(self, incident_id: str) -> int | None:
        """When the incident may be deleted (epoch seconds), None while it is kept."""
        with self._lock:
            row = self._conn.execute("SELECT expires_at FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        if row is None:
            raise NotFound(incident_id)
        return int(row[0]) if row[0] is not None else None

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete incidents whose TTL has passed (DynamoDB does this by itself); returns the count."""
        cutoff = int((now or utcnow()).timestamp())
        with self._write() as c:
            cur = c.execute("DELETE FROM incidents WHERE expires_at IS NOT NULL AND expires_at <= ?", (cutoff,))
            return cur.rowcount

    # -- allowlist ---------------------------------------------------------------------------

    def allow(self, kind: str, key: str, reason: str, actor: str, now: datetime) -> None:
        folded = allow_key(kind, key)
        with self._write() as c:
            c.execute("INSERT OR REPLACE INTO allowlist (kind, key, reason, added_by, added_at) VALUES (?, ?, ?, ?, ?)",
                      (kind, folded, allow_reason(reason), actor, ts(now)))

    def disallow(self, kind: str, key: str) -> None:
        folded = allow_key(kind, key)
        with self._write() as c:
            c.execute("DELETE FROM allowlist WHERE kind = ? AND key = ?", (kind, folded))

    def allowlist(self) -> builtins.list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT kind, key, reason, added_by, added_at FROM allowlist ORDER BY kind, key").fetchall()
        return [{"kind": r[0], "key": r[1], "reason": r[2], "added_by": r[3],
                 "added_at": datetime.fromisoformat(r[4].replace("Z", "+00:00"))} for r in rows]

    # -- checkpoints -------------------------------------------------------------------------

    def get_checkpoint(self, source: str, query: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM checkpoints WHERE source = ? AND query = ?",
                                     (source, query)).fetchone()
        return row[0] if row else None

    def put_checkpoint(self, source: str, query: str, value: str, now: datetime) -> None:
        with self._write() as c:
            c.execute("INSERT OR REPLACE INTO checkpoints (source, query, value, updated_at) VALUES (?, ?, ?, ?)",
                      (source, query, value, ts(now)))

    # -- small state: source health, sessions, quotas -----------------------------------------

    def get_value(self, namespace: str, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM kv WHERE namespace = ? AND key = ?",
                                     (namespace, key)).fetchone()
        return row[0] if row else None

    def values(self, namespace: str) -> Iterator[tuple[str, str]]:
        with self._lock:
            rows = self._conn.execute("SELECT key, value FROM kv WHERE namespace = ? ORDER BY key",
                                      (namespace,)).fetchall()
        yield from ((k, v) for k, v in rows)

    def put_value(self, namespace: str, key: str, value: str, now: datetime) -> None:
        with self._write() as c:
            c.execute("INSERT OR REPLACE INTO kv (namespace, key, value, updated_at) VALUES (?, ?, ?, ?)",
                      (namespace, key, value, ts(now)))

    def update_value(self, namespace: str, key: str, change: Callable[[str | None], str], now: datetime) -> str:
        with self._write() as c:  # BEGIN IMMEDIATE: other processes wait, then read what this wrote
            row = c.execute("SELECT value FROM kv WHERE namespace = ? AND key = ?", (namespace, key)).fetchone()
            value = change(row[0] if row else None)
            c.execute("INSERT OR REPLACE INTO kv (namespace, key, value, updated_at) VALUES (?, ?, ?, ?)",
                      (namespace, key, value, ts(now)))
        return value

    # -- outbox ------------------------------------------------------------------------------

    def claim_alerts(self, owner: str, now: datetime, *, lease_seconds: float = 300.0,
                     limit: int | None = None) -> builtins.list[Alert]:
        """Take the pending rows that no one holds (or whose holder's lease ran out), oldest first:
        two processes draining one database never send the same alert, and a process killed while
        delivering gives its rows back when the lease ends."""
        until = ts(now + timedelta(seconds=lease_seconds))
        with self._write() as c:
            ids = [r[0] for r in c.execute(
                "SELECT id FROM outbox WHERE sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?) "
                "ORDER BY seq LIMIT ?", (ts(now), -1 if limit is None else int(limit)))]
            c.executemany("UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                          [(owner, until, i) for i in ids])
            rows: builtins.list[tuple[str, str, str]] = []
            for i in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
                chunk = ids[i:i + 500]
                rows += c.execute(
                    "SELECT o.id, o.change, i.data FROM outbox o JOIN incidents i ON i.id = o.incident_id "
                    f"WHERE o.id IN ({','.join('?' * len(chunk))}) ORDER BY o.seq", chunk).fetchall()
        return [Alert(id=r[0], incident=Incident.model_validate_json(r[2]), change=Change(r[1])) for r in rows]

    def mark_sent(self, alert_ids: Sequence[str], now: datetime | None = None) -> None:
        if not alert_ids:
            return
        when = ts(now or utcnow())
        with self._write() as c:
            c.executemany("UPDATE outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL",
                          [(when, i) for i in alert_ids])

    def release(self, alert_ids: Sequence[str]) -> None:
        """Give claimed rows back (a sink failed): the next drain retries them."""
        if not alert_ids:
            return
        with self._write() as c:
            c.executemany("UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE id = ? AND sent_at IS NULL",
                          [(i,) for i in alert_ids])

    def pending_alerts(self) -> builtins.list[Alert]:
        """What the outbox still holds, claimed or not (a read: `claim_alerts` is how to take them)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT o.id, o.change, i.data FROM outbox o JOIN incidents i ON i.id = o.incident_id "
                "WHERE o.sent_at IS NULL ORDER BY o.seq").fetchall()
        return [Alert(id=r[0], incident=Incident.model_validate_json(r[2]), change=Change(r[1])) for r in rows]

    def pending_count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0])

    def counts(self) -> dict[str, int]:
        """Incidents per status (for summaries and `sentinelle incidents`)."""
        with self._lock:
            rows = self._conn.execute("SELECT status, COUNT(*) FROM incidents GROUP BY status").fetchall()
        return {r[0]: r[1] for r in rows}
