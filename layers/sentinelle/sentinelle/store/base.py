"""The store protocols that both DynamoDB and SQLite implement (one contract test suite)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sentinelle.model import Change, Finding, Incident, Severity, Status


class NotFound(KeyError):
    pass


class InvalidTransition(ValueError):
    pass


class StoreError(RuntimeError):
    """The store cannot be opened or written (corrupt, read-only, a directory, a full disk); the
    message names the file and the cause in one line."""


@dataclass
class Recorded:
    incident: Incident
    change: Change


@dataclass
class Page:
    items: list[Incident]
    # Opaque to callers: the store's own position (a dict of key attributes). The API signs it.
    next_position: dict[str, Any] | None


@dataclass
class Alert:
    """An outbox entry (local mode): one per new, escalated or reopened incident."""

    id: str
    incident: Incident
    change: Change


class IncidentStore(Protocol):
    def record(self, finding: Finding, now: datetime) -> Recorded:
        """Create or update the incident of `finding` (dedup by `finding.incident_key`).

        new: no incident had this key. escalated: severity rose. repeat: otherwise (last_seen and
        occurrences updated). suppressed: the subject is on the allowlist (nothing alerts).
        Safe against concurrent writers: conditional writes / transactions.
        """

    def get(self, incident_id: str) -> Incident: ...  # raises NotFound

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
        """Newest (last_seen) first; served by indexes, never a full scan."""

    def update(
        self,
        incident_id: str,
        *,
        status: Status | None,
        note: str | None,
        assignee: str | None,
        actor: str,
        now: datetime,
        detail: dict[str, Any] | None = None,
    ) -> Incident: ...

    # Allowlist of subjects (kind "account" key "platform:handle", or kind "domain" key "example.com").
    def allow(self, kind: str, key: str, reason: str, actor: str, now: datetime) -> None: ...
    def disallow(self, kind: str, key: str) -> None: ...
    def allowlist(self) -> list[dict[str, Any]]: ...


class CheckpointStore(Protocol):
    def get_checkpoint(self, source: str, query: str) -> str | None: ...
    def put_checkpoint(self, source: str, query: str, value: str, now: datetime) -> None: ...


class Outbox(Protocol):
    """Local mode: alerts written with the incident change, drained after each scan."""

    def pending_alerts(self, limit: int = 1000) -> list[Alert]: ...
    def mark_sent(self, alert_ids: list[str]) -> None: ...
