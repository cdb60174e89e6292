"""The interfaces the core needs from the outside: stores, sources, enrichers and sinks.

The core (detectors, incident rules, alert policy, pipeline) is written against these protocols;
adapters (`store/`, `sources/`, `alerts/sinks.py`, `signals/fetch.py`) implement them. mypy checks
that they do (`make test`).
"""

from __future__ import annotations

import builtins
import time

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from sentinelle.model import Change, Finding, Incident, Post, Profile, Severity, Status

# -- what to collect -------------------------------------------------------------------------


class Query(BaseModel):
    """One thing to collect for a detector. Sources decide how (or whether) they serve a kind."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["search_posts", "hashtag", "search_profiles", "profile", "account_posts"]
    value: str
    platform: str | None = None  # for account queries: the platform the account lives on

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.platform or '*'}:{self.value}"


SourceStatus = Literal["ok", "partial", "could_not_check"]


@dataclass
class SourceResult:
    items: list[Post | Profile] = field(default_factory=list)
    status: SourceStatus = "ok"
    reason: str | None = None  # why partial / could_not_check ("credentials", "timeout", ...)
    # The checkpoint to store once every item above is recorded (None: leave it where it was).
    checkpoint: str | None = None
    skipped: int = 0  # malformed items skipped one by one
    requests: int = 0  # HTTP requests made (cost accounting)


@dataclass(frozen=True)
class Deadline:
    """When collection must stop: a source starts no request past it, and returns what it has read
    with the checkpoint where those items end (the rest is read by the next run, not lost).

    `at` is on `clock` (monotonic seconds). `margin` is the time kept back for one more request.
    """

    at: float
    margin: float = 5.0
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def within(cls, seconds: float, *, margin: float = 5.0,
               clock: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(at=clock() + seconds, margin=margin, clock=clock)

    def remaining(self) -> float:
        return self.at - self.clock()

    @property
    def reached(self) -> bool:
        """True once too little time is left to start another request."""
        return self.remaining() <= self.margin


class Source(Protocol):
    """One configured source (a platform on an instance with its credentials, or a replay file)."""

    name: str  # stable, used in checkpoint keys: "mastodon:mastodon.social", "replay:feeds/x.jsonl"
    platform: str

    def queries(self, plan: list[Query]) -> list[Query]:
        """Which of the detector's planned queries this source serves. A live platform returns
        those it can answer; a replay file returns the query it recorded, whatever the plan."""
        ...

    async def fetch(self, query: Query, checkpoint: str | None,
                    deadline: Deadline | None = None) -> SourceResult:
        """Read what is new since `checkpoint`. Past `deadline`, stop reading and return what was
        read, status "partial" (reason "deadline") and a checkpoint no further than those items."""
        ...

    async def aclose(self) -> None: ...


@dataclass
class LinkReport:
    """Where a link leads and what the landing page asks for."""

    url: str
    final_url: str | None = None
    hops: list[str] = field(default_factory=list)  # every URL requested, the first one included
    status: int | None = None
    credential_form: bool = False  # a password field on the landing page
    brands_named: list[str] = field(default_factory=list)  # watchlist brands named on that page
    title: str | None = None
    error: str | None = None  # why the check stopped (refused by the guard, timeout, ...)

    @property
    def expanded(self) -> bool:
        return len(self.hops) > 1

    def as_evidence(self) -> dict[str, Any]:
        out = {"final_url": self.final_url, "hops": len(self.hops), "credential_form": self.credential_form,
               "brands_named": self.brands_named}
        if self.error:
            out["error"] = self.error
        return out


class Enrichers(Protocol):
    """Network-backed checks handed to detectors in online mode (absent offline)."""

    def link_report(self, url: str) -> LinkReport: ...
    def avatar_hash(self, url: str) -> str | None: ...
    def photo_match(self, avatar_url: str, max_distance: int = 8) -> tuple[str, int] | None:
        """(protected person, distance) whose photo the avatar reuses, or None."""
        ...


# -- what the stores answer --------------------------------------------------------------------


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
    """A recorded change that may alert: an outbox row locally, a stream record on AWS."""

    id: str  # names this very change: the outbox row, or incident:change:version
    incident: Incident
    change: Change


class IncidentStore(Protocol):
    def hash_key(self) -> bytes:
        """The key of the keyed hashes that deduplicate sensitive values (sentinelle/hashkey.py).
        It stays with the store: no answer, alert or log carries it or a hash made with it."""
        ...

    def record(self, finding: Finding, now: datetime) -> Recorded:
        """Create or update the incident of `finding` (dedup by `finding.incident_key`).

        new: no incident had this key. escalated: severity rose. reopened: closed as dealt with
        and seen a day later. repeat: otherwise (last_seen and occurrences updated). The store
        records the change it made in the same write (the outbox row, or `last_change`). Safe
        against concurrent writers: conditional writes / transactions.
        """
        ...

    def record_many(self, findings: Sequence[Finding], now: datetime) -> list[Recorded]:
        """`record` for a batch, in order, one write per incident touched."""
        ...

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
        ...

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

    # Allowlist of strangers' subjects (kind "account" key "platform:handle", or kind "domain"
    # key "example.com"); `incidents.Allowlist` decides what an entry suppresses.
    def allow(self, kind: str, key: str, reason: str, actor: str, now: datetime) -> None: ...
    def disallow(self, kind: str, key: str) -> None: ...
    def allowlist(self) -> builtins.list[dict[str, Any]]: ...


class CheckpointStore(Protocol):
    """Where each (source, query) stopped reading; moved only after its items are recorded."""

    def get_checkpoint(self, source: str, query: str) -> str | None: ...
    def put_checkpoint(self, source: str, query: str, value: str, now: datetime) -> None: ...


class KeyValueStore(Protocol):
    """Small state that is not a checkpoint: source health, platform sessions, quotas."""

    def get_value(self, namespace: str, key: str) -> str | None: ...
    def put_value(self, namespace: str, key: str, value: str, now: datetime) -> None: ...

    def values(self, namespace: str) -> Iterator[tuple[str, str]]:
        """Every (key, value) of `namespace`, in key order (one partition on DynamoDB: a Query)."""
        ...

    def update_value(self, namespace: str, key: str, change: Callable[[str | None], str],
                     now: datetime) -> str:
        """Read, `change` and write the value as one atomic step (a quota shared by concurrent
        workers): a concurrent writer makes it read again and retry. Whatever `change` raises
        propagates and nothing is written. Returns the value written."""
        ...


class Store(IncidentStore, CheckpointStore, KeyValueStore, Protocol):
    """What a scan needs from one store: incidents, checkpoints and small state (both stores)."""


class Outbox(Protocol):
    """Local mode's change feed: one row per alerting change, written with the incident change."""

    def claim_alerts(self, owner: str, now: datetime, *, lease_seconds: float = 300.0,
                     limit: int | None = None) -> list[Alert]:
        """Take pending rows no one else holds (a lease, so a crashed owner's rows come back)."""
        ...

    def mark_sent(self, alert_ids: Sequence[str], now: datetime | None = None) -> None: ...
    def release(self, alert_ids: Sequence[str]) -> None: ...


# -- where alerts go ---------------------------------------------------------------------------

Items = Sequence[tuple[Incident, Change]]
Channel = Literal["alert", "sms"]


class Sink(Protocol):
    name: str
    # Which channel of the alert policy this sink serves: every alert, or the SMS-worthy ones.
    threshold: ClassVar[Channel]

    def send(self, incident: Incident, change: Change) -> object: ...
    def send_digest(self, items: Items) -> object: ...


__all__ = [
    "Alert", "Channel", "CheckpointStore", "Deadline", "Enrichers", "IncidentStore", "InvalidTransition", "Items",
    "KeyValueStore", "NotFound", "Outbox", "Page", "Query", "Recorded", "Sink", "Source", "SourceResult",
    "SourceStatus", "Store",
]
