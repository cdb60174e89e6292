"""From a DynamoDB stream batch to alerts: which records are new, escalated or reopened incidents, and their keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterable

from sentinelle.model import Change, Incident, Severity
from sentinelle.watchlist import Thresholds


@dataclass(frozen=True)
class StreamAlert:
    sequence: str  # the stream record's SequenceNumber: what a partial batch failure names
    incident: Incident
    change: Change
    key: str  # idempotency key: the same change of the same incident always has the same key

    def payload(self) -> dict[str, Any]:
        return {"key": self.key, "change": self.change.value, "incident": self.incident.model_dump(mode="json")}


@dataclass
class Batch:
    alerts: dict[str, StreamAlert] = field(default_factory=dict)  # by sequence number
    unreadable: dict[str, str] = field(default_factory=dict)  # sequence number -> why
    digest: bool = False

    @property
    def digest_key(self) -> str:
        """One key for the whole digest: a retry of the same batch publishes nothing more."""
        joined = "\n".join(sorted(a.key for a in self.alerts.values()))
        return "digest:" + hashlib.sha256(joined.encode()).hexdigest()[:32]


def sequence_of(record: dict[str, Any]) -> str:
    return str((record.get("dynamodb") or {}).get("SequenceNumber", ""))


def alert_of(record: dict[str, Any], thresholds: Thresholds | None = None) -> StreamAlert | None:
    """The alert a stream record calls for, or None (not an incident, a repeat, below threshold).

    Raises ValueError for an incident record that cannot be read.
    """
    from sentinelle.store.dynamodb import change_from_stream, incident_from_stream_image

    thresholds = thresholds or Thresholds()
    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return None
    ddb = record.get("dynamodb") or {}
    new = ddb.get("NewImage")
    if not str(((ddb.get("Keys") or {}).get("pk") or {}).get("S", "")).startswith("INC#"):
        return None  # checkpoints, allowlist, idempotency records: the stream filter should drop them
    try:
        change = change_from_stream(ddb.get("OldImage"), new)
        if change is None or not change.alerts:
            return None
        incident = incident_from_stream_image(new)
    except Exception as exc:
        raise ValueError(f"unreadable incident record: {type(exc).__name__}: {str(exc)[:200]}") from exc
    if incident is None or incident.severity < Severity(thresholds.alert):
        return None
    # The item's version (pynamodb VersionAttribute) names this very write; last_seen stands in
    # for it on items written without one.
    version = ((new or {}).get("version") or {}).get("N") or incident.last_seen.isoformat()
    return StreamAlert(sequence_of(record), incident, change, f"{incident.id}:{change.value}:{version}")


def plan_batch(records: Iterable[dict[str, Any]], thresholds: Thresholds | None = None) -> Batch:
    """Read every record once; more alerts than `thresholds.digest_after` make a digest."""
    thresholds = thresholds or Thresholds()
    batch = Batch()
    for record in records:
        try:
            alert = alert_of(record, thresholds)
        except ValueError as exc:
            batch.unreadable[sequence_of(record)] = str(exc)
            continue
        if alert is not None:
            batch.alerts[alert.sequence] = alert
    batch.digest = len(batch.alerts) > thresholds.digest_after
    return batch


__all__ = ["StreamAlert", "Batch", "alert_of", "plan_batch", "sequence_of"]
