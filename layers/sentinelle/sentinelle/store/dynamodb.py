"""The AWS store: incidents, checkpoints and allowlist in one DynamoDB table (pynamodb)."""

from __future__ import annotations

import builtins

import functools
import random
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist, PutError, QueryError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from sentinelle.model import Change, Finding, Incident, Severity, Status
from sentinelle.ports import NotFound, Page, Recorded, StoreError
from sentinelle.hashkey import secret_key
from sentinelle.incidents import DEFAULT_TTL_DAYS, allow_key, allow_reason, apply_update, expiry, merge_finding, recorded_change
from sentinelle.store.common import last_seen_id, ts

DEFAULT_TABLE = "sentinelle"
INCIDENT_SK = "INC"
ENTITY = "incident"  # the single hash key of `by_recent`: every incident, newest first
ALLOW_PK = "ALLOW"
MAX_ATTEMPTS = 8  # conditional-write retries before giving up (each one means another writer won)
KV_PREFIX = "KV#"
TRIAGE = "triage"  # `last_change` of a person's update: never an alert
WRITERS = 8  # concurrent writes in record_many (pynamodb's pool holds 10 connections)
MAX_DATA_BYTES = 300_000  # an item stops at 400 KB: keep fewer past findings rather than fail


class ByStatus(GlobalSecondaryIndex["SentinelleTable"]):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    last_seen_id = UnicodeAttribute(range_key=True)


class ByDetector(GlobalSecondaryIndex["SentinelleTable"]):
    class Meta:
        index_name = "by_detector"
        projection = AllProjection()

    detector = UnicodeAttribute(hash_key=True)
    last_seen_id = UnicodeAttribute(range_key=True)


class ByRecent(GlobalSecondaryIndex["SentinelleTable"]):
    class Meta:
        index_name = "by_recent"
        projection = AllProjection()

    entity = UnicodeAttribute(hash_key=True)
    last_seen_id = UnicodeAttribute(range_key=True)


class SentinelleTable(Model):
    """Every item of the one table; `pk`/`sk` say which kind it is:

    incident    pk "INC#<id>"      sk "INC"          data (Incident JSON), status, detector, platform,
                                                      severity_rank, last_seen_id, entity, version, expires_at
                                                      last_change (what this write did: new, escalated,
                                                      reopened, repeat or triage; the alert function reads it)
    checkpoint  pk "CP#<source>"   sk "Q#<query>"    value, updated_at
    small state pk "KV#<namespace>" sk "K#<key>"     value, updated_at (source health, sessions, quotas)
    allowlist   pk "ALLOW"         sk "<kind>#<key>" reason, added_by, added_at

    Only incidents carry the index keys, so the three indexes hold incidents and nothing else.
    """

    class Meta:
        table_name = DEFAULT_TABLE  # the store binds the configured name (table_model)
        billing_mode = "PAY_PER_REQUEST"
        stream_view_type = "NEW_AND_OLD_IMAGES"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # incident items
    data = UnicodeAttribute(null=True)  # the Incident as JSON
    status = UnicodeAttribute(null=True)
    detector = UnicodeAttribute(null=True)
    platform = UnicodeAttribute(null=True)
    severity_rank = NumberAttribute(null=True)
    last_seen_id = UnicodeAttribute(null=True)
    entity = UnicodeAttribute(null=True)
    version = VersionAttribute(null=True)
    last_change = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    # checkpoint items
    value = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    # allowlist items
    reason = UnicodeAttribute(null=True)
    added_by = UnicodeAttribute(null=True)
    added_at = UnicodeAttribute(null=True)

    by_status = ByStatus()
    by_detector = ByDetector()
    by_recent = ByRecent()


@functools.lru_cache(maxsize=None)
def table_model(table_name: str) -> type[SentinelleTable]:
    """The model bound to a table name (pynamodb reads the name from the class)."""
    if table_name == SentinelleTable.Meta.table_name:
        return SentinelleTable
    meta = type("Meta", (SentinelleTable.Meta,), {"table_name": table_name})
    return type(f"SentinelleTable_{abs(hash(table_name))}", (SentinelleTable,), {"Meta": meta})


def create_table(table_name: str) -> type[SentinelleTable]:
    """Create the table with its indexes, stream and TTL (tests and local DynamoDB; AWS uses the template)."""
    model = table_model(table_name)
    model.create_table(wait=True, ignore_update_ttl_errors=True)
    return model


def cloudformation_properties() -> dict[str, Any]:
    """The table's CloudFormation properties as the code needs them (compared with template.yaml)."""
    schema = SentinelleTable._get_schema()

    def keys(key_schema: Sequence[Any]) -> list[Any]:
        return sorted(key_schema, key=lambda k: k["KeyType"])  # HASH before RANGE, as DynamoDB wants

    return {
        "BillingMode": SentinelleTable.Meta.billing_mode,
        "AttributeDefinitions": sorted(schema["attribute_definitions"], key=lambda a: a["AttributeName"]),
        "KeySchema": keys(schema["key_schema"]),
        "GlobalSecondaryIndexes": sorted(
            ({"IndexName": i["index_name"], "KeySchema": keys(i["key_schema"]), "Projection": i["projection"]}
             for i in schema["global_secondary_indexes"]),
            key=lambda i: i["IndexName"]),
        "StreamSpecification": {"StreamViewType": SentinelleTable.Meta.stream_view_type},
        "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
    }


def _conflict(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def _backoff(attempt: int) -> None:
    """Jittered pause after losing a race, so the loser does not lose to the same writer again."""
    time.sleep(random.uniform(0, 0.005 * 2**attempt))


def _epoch(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value is not None else None


class DynamoDBStore:
    """IncidentStore and CheckpointStore on one DynamoDB table: conditional writes, index queries."""

    def __init__(self, table_name: str, *, ttl_days: int = DEFAULT_TTL_DAYS, hash_key_secret: str | None = None):
        self.model = table_model(table_name)
        self.ttl_days = ttl_days
        self.hash_key_secret = hash_key_secret

    def hash_key(self) -> bytes:
        """The key of the keyed hashes: the Secrets Manager secret the template generates."""
        return secret_key(self.hash_key_secret)

    # -- incidents ---------------------------------------------------------------------------

    def record(self, finding: Finding, now: datetime) -> Recorded:
        return self._record([finding], now, self._get_item(finding.incident_key))[0]

    def record_many(self, findings: Sequence[Finding], now: datetime) -> list[Recorded]:
        """Record a batch: batched reads, then ONE conditional write per incident touched (several
        findings of one incident merge first), incidents written concurrently."""
        findings = list(findings)
        if not findings:
            return []
        out: list[Recorded | None] = [None] * len(findings)
        groups: dict[str, list[int]] = {}
        for i, finding in enumerate(findings):
            groups.setdefault(finding.incident_key, []).append(i)
        known: dict[str, SentinelleTable] = {}
        for item in self.model.batch_get([(f"INC#{k}", INCIDENT_SK) for k in groups], consistent_read=True):
            known[item.pk.removeprefix("INC#")] = item

        def write(key: str) -> None:
            positions = groups[key]
            for i, recorded in zip(positions, self._record([findings[i] for i in positions], now, known.get(key))):
                out[i] = recorded

        if len(groups) > 1:
            with ThreadPoolExecutor(max_workers=min(WRITERS, len(groups))) as pool:
                list(pool.map(write, groups))  # list(): re-raise the first failure here
        else:
            for key in groups:
                write(key)
        return [r for r in out if r is not None]

    def _record(self, findings: list[Finding], now: datetime, item: SentinelleTable | None) -> list[Recorded]:
        """Merge one incident's findings in order and write once, conditionally; when another writer
        got there first, re-read and redo (so no sighting is lost and one of us sees `new`)."""
        key = findings[0].incident_key
        for attempt in range(MAX_ATTEMPTS):
            incident = Incident.model_validate_json(item.data) if item is not None else None
            results = []
            for finding in findings:
                incident, change = merge_finding(incident, finding, now)
                results.append(Recorded(incident, change))
            assert incident is not None
            target = item if item is not None else self.model(f"INC#{key}", INCIDENT_SK)
            stored = self._fill(target, incident)
            target.last_change = recorded_change([r.change for r in results]).value
            if any(r.change is Change.reopened for r in results):
                target.expires_at = None  # open again: kept until someone closes it
            if stored is not incident:  # trimmed to fit the item size limit
                results[-1] = Recorded(stored, results[-1].change)
            try:
                if item is None:
                    target.save(condition=self.model.pk.does_not_exist())
                else:
                    target.save()  # conditioned on the version we read
            except PutError as exc:
                if not _conflict(exc):
                    raise
                _backoff(attempt)
                item = self._get_item(key)
                continue
            return results
        raise RuntimeError(f"incident {key}: too many concurrent writers, gave up")

    @staticmethod
    def _fill(item: SentinelleTable, incident: Incident) -> Incident:
        """Set the item's attributes from the incident; returns the incident as stored."""
        data = incident.model_dump_json()
        while len(data.encode()) > MAX_DATA_BYTES and len(incident.findings) > 1:
            incident = incident.model_copy(update={"findings": incident.findings[len(incident.findings) // 2:]})
            data = incident.model_dump_json()
        item.data = data
        item.status = incident.status.value
        item.detector = incident.detector
        item.platform = incident.platform
        item.severity_rank = incident.severity.rank
        item.last_seen_id = last_seen_id(incident)
        item.entity = ENTITY
        return incident

    def _get_item(self, incident_id: str) -> SentinelleTable | None:
        try:
            return self.model.get(f"INC#{incident_id}", INCIDENT_SK, consistent_read=True)
        except DoesNotExist:
            return None

    def get(self, incident_id: str) -> Incident:
        item = self._get_item(incident_id)
        if item is None:
            raise NotFound(incident_id)
        return Incident.model_validate_json(item.data)

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
        m = self.model
        filters = []
        index: GlobalSecondaryIndex[SentinelleTable]
        if status is not None:
            index, hash_attr, hash_key = m.by_status, "status", Status(status).value
            if detector is not None:
                filters.append(m.detector == detector)
        elif detector is not None:
            index, hash_attr, hash_key = m.by_detector, "detector", detector
        else:
            index, hash_attr, hash_key = m.by_recent, "entity", ENTITY
        if severity is not None:
            filters.append(m.severity_rank >= Severity(severity).rank)
        if platform is not None:
            filters.append(m.platform == platform)
        condition = None
        for f in filters:
            condition = f if condition is None else condition & f
        if position is not None:
            required = {"pk", "sk", hash_attr, "last_seen_id"}
            if not isinstance(position, dict) or set(position) != required:
                raise ValueError("position is not one this store returned for these filters")
        limit = max(1, int(limit))
        # DynamoDB's Limit counts items read before filtering: read more per page when filtering.
        page_size = min(1000, limit + 1 if condition is None else max(100, 4 * (limit + 1)))
        results = index.query(
            hash_key,
            range_key_condition=m.last_seen_id >= ts(since) if since is not None else None,
            filter_condition=condition,
            scan_index_forward=False,
            last_evaluated_key=position,
            page_size=page_size,
        )
        items: builtins.list[SentinelleTable] = []
        try:
            for item in results:
                items.append(item)
                if len(items) > limit:
                    break
        except QueryError as exc:
            if getattr(exc, "cause_response_code", None) == "ValidationException":
                raise ValueError(f"invalid position: {exc}") from exc
            raise
        more = len(items) > limit
        items = items[:limit]
        nxt = None
        if more:
            last = items[-1]
            nxt = {"pk": {"S": last.pk}, "sk": {"S": last.sk}, "last_seen_id": {"S": last.last_seen_id},
                   hash_attr: {"S": getattr(last, hash_attr)}}
        return Page(items=[Incident.model_validate_json(i.data) for i in items], next_position=nxt)

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
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                _backoff(attempt)
            item = self._get_item(incident_id)
            if item is None:
                raise NotFound(incident_id)
            before = Incident.model_validate_json(item.data)
            incident = apply_update(before, status=status, note=note, assignee=assignee, actor=actor,
                                    now=now, detail=detail)
            incident = self._fill(item, incident)
            item.last_change = TRIAGE
            if incident.status is not before.status:
                epoch = expiry(incident, now, self.ttl_days)
                item.expires_at = datetime.fromtimestamp(epoch, timezone.utc) if epoch else None
            try:
                item.save()
            except PutError as exc:
                if not _conflict(exc):
                    raise
                continue
            return incident
        raise RuntimeError(f"incident {incident_id}: too many concurrent writers, gave up")

    def expires_at(self, incident_id: str) -> int | None:
        """When the incident may be deleted (epoch seconds), None while it is kept."""
        item = self._get_item(incident_id)
        if item is None:
            raise NotFound(incident_id)
        return _epoch(item.expires_at)

    # -- allowlist ---------------------------------------------------------------------------

    def allow(self, kind: str, key: str, reason: str, actor: str, now: datetime) -> None:
        item = self.model(ALLOW_PK, f"{kind}#{allow_key(kind, key)}", reason=allow_reason(reason), added_by=actor,
                          added_at=ts(now))
        item.save(add_version_condition=False)

    def disallow(self, kind: str, key: str) -> None:
        self.model(ALLOW_PK, f"{kind}#{allow_key(kind, key)}").delete(add_version_condition=False)

    def allowlist(self) -> builtins.list[dict[str, Any]]:
        out = []
        for item in self.model.query(ALLOW_PK, consistent_read=True):
            kind, _, key = item.sk.partition("#")
            out.append({"kind": kind, "key": key, "reason": item.reason, "added_by": item.added_by,
                        "added_at": datetime.fromisoformat(item.added_at.replace("Z", "+00:00"))})
        return out

    # -- checkpoints -------------------------------------------------------------------------

    def get_checkpoint(self, source: str, query: str) -> str | None:
        try:
            return self.model.get(f"CP#{source}", f"Q#{query}", consistent_read=True).value
        except DoesNotExist:
            return None

    def put_checkpoint(self, source: str, query: str, value: str, now: datetime) -> None:
        self.model(f"CP#{source}", f"Q#{query}", value=value, updated_at=ts(now)).save(add_version_condition=False)


    # -- small state: source health, sessions, quotas -----------------------------------------

    def get_value(self, namespace: str, key: str) -> str | None:
        try:
            return self.model.get(f"{KV_PREFIX}{namespace}", f"K#{key}", consistent_read=True).value
        except DoesNotExist:
            return None

    def values(self, namespace: str) -> Iterator[tuple[str, str]]:
        for item in self.model.query(f"{KV_PREFIX}{namespace}", consistent_read=True):
            if item.value is not None:
                yield item.sk.removeprefix("K#"), item.value

    def put_value(self, namespace: str, key: str, value: str, now: datetime) -> None:
        self.model(f"{KV_PREFIX}{namespace}", f"K#{key}", value=value, updated_at=ts(now)).save(
            add_version_condition=False)

    def update_value(self, namespace: str, key: str, change: Callable[[str | None], str], now: datetime) -> str:
        m = self.model
        for attempt in range(MAX_ATTEMPTS):
            old = self.get_value(namespace, key)
            value = change(old)
            # Written only if no one wrote since the read: else read again and redo the change.
            condition = m.pk.does_not_exist() if old is None else (m.value == old)
            try:
                m(f"{KV_PREFIX}{namespace}", f"K#{key}", value=value, updated_at=ts(now)).save(
                    condition=condition, add_version_condition=False)
                return value
            except PutError as exc:
                if not _conflict(exc):
                    raise
                _backoff(attempt)
        raise StoreError(f"{namespace}/{key}: {MAX_ATTEMPTS} concurrent writers won the race in a row")


# -- the change feed (DynamoDB stream -> alert function) ------------------------------------------

_deserializer = TypeDeserializer()


def _plain(image: dict[str, Any] | None) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in (image or {}).items()}


def incident_from_stream_image(image: dict[str, Any] | None) -> Incident | None:
    """The incident in a stream record's image (DynamoDB JSON); None for other items."""
    item = _plain(image)
    if item.get("sk") != INCIDENT_SK or not str(item.get("pk", "")).startswith("INC#") or "data" not in item:
        return None
    return Incident.model_validate_json(item["data"])


def change_from_stream(new_image: dict[str, Any] | None) -> Change | None:
    """The change the store recorded with this write (`last_change`), when it is one that may alert.

    The store decided it in the same conditional write as the incident (`incidents.merge_finding`),
    so the stream never works it out again; a person's update records `triage`.
    """
    new = _plain(new_image)
    if new.get("sk") != INCIDENT_SK or "data" not in new:
        return None
    try:
        change = Change(str(new.get("last_change", "")))
    except ValueError:  # triage, or an item written before `last_change` existed
        return None
    return change if change.alerts else None
