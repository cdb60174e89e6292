"""From a DynamoDB stream batch to alerts: the change each write recorded (`last_change`), put
through the same alert policy as local mode (`sentinelle.alerting`), with idempotency keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from collections.abc import Callable, Iterable
from typing import Any

from sentinelle import alerting
from sentinelle.model import Change, Incident
from sentinelle.ports import Alert
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


def alert_of(record: dict[str, Any]) -> StreamAlert | None:
    """The recorded change a stream record carries, or None (not an incident, nothing that alerts).

    Raises ValueError for an incident record that cannot be read.
    """
    from sentinelle.store.dynamodb import change_from_stream, incident_from_stream_image

    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return None
    ddb = record.get("dynamodb") or {}
    new = ddb.get("NewImage")
    if not str(((ddb.get("Keys") or {}).get("pk") or {}).get("S", "")).startswith("INC#"):
        return None  # checkpoints, allowlist, idempotency records: the stream filter should drop them
    try:
        change = change_from_stream(new)
        if change is None:
            return None
        incident = incident_from_stream_image(new)
    except Exception as exc:
        raise ValueError(f"unreadable incident record: {type(exc).__name__}: {str(exc)[:200]}") from exc
    if incident is None:
        return None
    # The item's version (pynamodb VersionAttribute) names this very write; last_seen stands in
    # for it on items written without one.
    version = ((new or {}).get("version") or {}).get("N") or incident.last_seen.isoformat()
    return StreamAlert(sequence_of(record), incident, change, f"{incident.id}:{change.value}:{version}")


def plan_batch(records: Iterable[dict[str, Any]], thresholds: Thresholds,
               campaign_of: Callable[[str], Any] | None = None) -> Batch:
    """Read every record once and apply the alert policy to the changes they carry."""
    batch = Batch()
    found: dict[str, StreamAlert] = {}
    for record in records:
        try:
            alert = alert_of(record)
        except ValueError as exc:
            batch.unreadable[sequence_of(record)] = str(exc)
            continue
        if alert is not None:
            found[alert.key] = alert
    plan = alerting.plan((Alert(a.key, a.incident, a.change) for a in found.values()), thresholds, campaign_of)
    batch.alerts = {found[a.id].sequence: replace(found[a.id], incident=a.incident) for a in plan.send}
    batch.digest = plan.digest
    return batch


__all__ = ["Batch", "StreamAlert", "alert_of", "plan_batch", "sequence_of"]
