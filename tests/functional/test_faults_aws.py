"""Faults on AWS (moto): DynamoDB throttling, two scans racing, SNS failing, a Lambda killed mid-scan.

Each test asserts: no item lost (recorded now or re-read next run), no incident duplicated, each
incident `new` exactly once, and no alert sent twice or dropped.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator

import boto3
import pytest
from aws_template import create_table
from moto import mock_aws
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import DynamoDBBackend
from moto.sns.models import SNSBackend

from sentinelle.detectors.base import Context, Detector
from sentinelle.ports import Query
from sentinelle.model import Finding, Severity, Subject
from sentinelle.pipeline import RunSummary, checkpoint_query, scan
from sentinelle.sources import build_source
from sentinelle.store.dynamodb import DynamoDBStore
from sentinelle.watchlist import parse_watchlist

ROOT = Path(__file__).resolve().parents[2]
TABLE = "sentinelle-faults"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
WL = parse_watchlist({"organization": "Acme", "brands": [{"name": "Acme"}]})
QUERY = Query(kind="search_posts", value="Acme")


class EveryItem(Detector):
    """One medium finding per post: incidents count items, so a lost or doubled item shows."""

    name = "every_item"

    def plan(self, watchlist: Any) -> list[Query]:
        return [QUERY]

    def detect(self, item: Any, ctx: Context) -> list[Finding]:
        return [Finding(detector=self.name, kind="seen", severity=Severity.medium, score=55, reasons=["read"],
                        subject=Subject(platform=item.platform, kind="post", id=item.id), item_id=item.id)]




class LambdaTimeout(BaseException):
    """What the runtime does at the deadline: the process stops wherever it is (not an Exception)."""


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with mock_aws():
        ddb = boto3.client("dynamodb")
        create_table(ddb, TABLE)
        monkeypatch.setenv("SENTINELLE_TABLE", TABLE)
        # botocore's retry backoff would sleep for real: the waits matter, not their length.
        monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, ctx: 0.0)
        yield ddb


def put_fault(monkeypatch: pytest.MonkeyPatch, decide: Callable[[str, int], BaseException | None]) -> dict[str, int]:
    """Make moto's PutItem fail when `decide(pk, attempt_for_that_pk)` returns an exception.

    Also serialises PutItem, as DynamoDB applies each request atomically (moto alone does not
    lock, and the store writes from several threads)."""
    original = DynamoDBBackend.put_item
    lock = threading.Lock()
    attempts: dict[str, int] = {}

    def put_item(self: Any, table_name: str, item_attrs: dict[str, Any], *a: Any, **kw: Any) -> Any:
        pk = item_attrs["pk"]["S"]
        with lock:
            attempts[pk] = attempts.get(pk, 0) + 1
            error = decide(pk, attempts[pk])
            if error is not None:
                raise error
            return original(self, table_name, item_attrs, *a, **kw)

    monkeypatch.setattr(DynamoDBBackend, "put_item", put_item)
    return attempts


def throttled() -> JsonRESTError:
    return JsonRESTError("com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                         "The level of configured provisioned throughput for the table was exceeded.")


def feed(tmp_path: Path, name: str, ids: range) -> Any:
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps({"type": "post", "platform": "replay", "id": f"{name}-{i}", "text": "t",
                                        "author": {"id": "1", "handle": "someone"}}) + "\n" for i in ids))
    return build_source({"type": "replay", "path": str(path), "name": f"replay:{name}", "query": QUERY.model_dump()})


def run(store: DynamoDBStore, sources: list[Any], at: datetime = NOW) -> RunSummary:
    return asyncio.run(scan(EveryItem(), WL, sources, store, store, now=at, ctx=Context.ephemeral(watchlist=WL, now=at)))


def incidents(ddb: Any) -> list[str]:
    items = ddb.scan(TableName=TABLE)["Items"]
    return sorted(json.loads(i["data"]["S"])["subject"]["id"] for i in items if i["pk"]["S"].startswith("INC#"))


def key_of(item_id: str) -> str:
    """The incident key EveryItem gives a replayed post."""
    (finding,) = EveryItem().detect(SimpleNamespace(platform="replay", id=item_id), None)  # type: ignore[arg-type]
    return finding.incident_key


def expected(name: str, ids: range) -> list[str]:
    return sorted(f"{name}-{i}" for i in ids)


# ---------------------------------------------------------------------------- DynamoDB throttling

def test_transient_throttling_is_retried_and_loses_nothing(aws, tmp_path, monkeypatch) -> None:
    attempts = put_fault(monkeypatch, lambda pk, n: throttled() if pk.startswith("INC#") and n == 1 else None)
    store = DynamoDBStore(TABLE)
    summary = run(store, [feed(tmp_path, "a", range(12))])
    assert summary.could_not_check == [] and summary.new == 12
    assert incidents(aws) == expected("a", range(12))
    assert sum(1 for pk, n in attempts.items() if pk.startswith("INC#") and n == 2) == 12  # each retried once
    assert store.get_checkpoint("replay:a", checkpoint_query("every_item", QUERY)) == "12"


def test_persistent_throttling_keeps_the_checkpoint_and_the_next_run_records_all(aws, tmp_path, monkeypatch) -> None:
    failing = {"on": True}
    put_fault(monkeypatch, lambda pk, n: throttled() if failing["on"] and pk.startswith("INC#") else None)
    store = DynamoDBStore(TABLE)
    first = run(store, [feed(tmp_path, "a", range(8))])
    assert [r.status for r in first.sources] == ["could_not_record"]
    assert store.get_checkpoint("replay:a", checkpoint_query("every_item", QUERY)) is None and incidents(aws) == []
    failing["on"] = False
    second = run(store, [feed(tmp_path, "a", range(8))], NOW + timedelta(minutes=15))
    assert second.new == 8 and incidents(aws) == expected("a", range(8))
    assert store.get_checkpoint("replay:a", checkpoint_query("every_item", QUERY)) == "8"


def test_throttling_some_writes_of_a_batch_rereads_and_records_each_once(aws, tmp_path, monkeypatch) -> None:
    """Writes go out concurrently: some land, some exhaust their retries. The checkpoint stays; the
    next run makes the landed ones repeats and the others new."""
    failing = {"on": True}
    bad = {f"a-{i}" for i in (1, 4, 7)}
    bad_keys = {f"INC#{key_of(i)}" for i in bad}
    put_fault(monkeypatch, lambda pk, n: throttled() if failing["on"] and pk in bad_keys else None)
    store = DynamoDBStore(TABLE)
    first = run(store, [feed(tmp_path, "a", range(10))])
    assert first.sources[0].status == "could_not_record"
    assert store.get_checkpoint("replay:a", checkpoint_query("every_item", QUERY)) is None
    landed = set(incidents(aws))
    # Writes still queued when the first failure surfaces may be cancelled: fewer may land, never a bad one.
    assert landed <= set(expected("a", range(10))) - bad
    failing["on"] = False
    second = run(store, [feed(tmp_path, "a", range(10))], NOW + timedelta(minutes=15))
    assert second.new == 10 - len(landed) and second.repeat == len(landed)
    assert incidents(aws) == expected("a", range(10))


# ------------------------------------------------------------------- two scans racing on one table

def test_two_concurrent_scans_of_the_same_items_make_one_incident_each(aws, tmp_path, monkeypatch) -> None:
    put_fault(monkeypatch, lambda pk, n: None)  # atomic PutItem, as DynamoDB
    model = DynamoDBStore(TABLE).model
    original = model.batch_get
    both_read = threading.Barrier(2, timeout=20)
    first_reads = iter(range(2))  # only each scan's first batch read waits (re-reads after a lost write do not)
    lock = threading.Lock()

    def batch_get(*a: Any, **kw: Any) -> list[Any]:
        items = list(original(*a, **kw))
        with lock:
            wait = next(first_reads, None) is not None
        if wait:
            both_read.wait()  # both scans have read "no such incident" before either writes
        return items

    monkeypatch.setattr(model, "batch_get", batch_get)
    results: list[RunSummary] = []
    errors: list[BaseException] = []

    feed(tmp_path, "a", range(10))  # written once: both scans read the same file

    def worker() -> None:
        try:
            source = build_source({"type": "replay", "path": str(tmp_path / "a.jsonl"), "name": "replay:a",
                                   "query": QUERY.model_dump()})
            results.append(run(DynamoDBStore(TABLE), [source]))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(results) == 2
    assert sum(r.new for r in results) == 10 and sum(r.repeat for r in results) == 10
    assert incidents(aws) == expected("a", range(10))
    occurrences = [json.loads(i["data"]["S"])["occurrences"] for i in aws.scan(TableName=TABLE)["Items"]
                   if i["pk"]["S"].startswith("INC#")]
    assert occurrences == [2] * 10  # no sighting lost either


# ------------------------------------------------------------------ a Lambda stopped mid-scan

def test_cancelled_while_collecting_moves_nothing_and_the_rerun_records_all(aws, tmp_path) -> None:
    class Slow:
        platform, name = "replay", "replay:slow"

        def __init__(self, inner: Any, gate: asyncio.Event):
            self.inner, self.gate = inner, gate

        def queries(self, plan: list[Query]) -> list[Query]:
            return self.inner.queries(plan)

        async def fetch(self, query: Query, checkpoint: str | None, deadline: Any = None) -> Any:
            self.gate.set()
            await asyncio.sleep(60)  # the deadline comes first
            return await self.inner.fetch(query, checkpoint)

        async def aclose(self) -> None:
            pass

    store = DynamoDBStore(TABLE)

    async def deadline() -> None:
        gate = asyncio.Event()
        task = asyncio.create_task(scan(EveryItem(), WL, [feed(tmp_path, "a", range(3)),
                                                           Slow(feed(tmp_path, "b", range(4)), gate)],
                                        store, store, now=NOW, ctx=Context.ephemeral(watchlist=WL, now=NOW)))
        await gate.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(deadline())
    assert incidents(aws) == [] and store.get_checkpoint("replay:a", checkpoint_query("every_item", QUERY)) is None
    summary = run(store, [feed(tmp_path, "a", range(3)), feed(tmp_path, "b", range(4))])
    assert summary.new == 7 and incidents(aws) == sorted(expected("a", range(3)) + expected("b", range(4)))


def test_killed_while_recording_rereads_what_was_not_checkpointed(aws, tmp_path, monkeypatch) -> None:
    """Source a is recorded and checkpointed; the deadline hits after 2 of b's 5 writes."""
    writes = {"b": 0, "armed": True}
    b_keys = {key_of(f"b-{i}") for i in range(5)}

    def decide(pk: str, n: int) -> BaseException | None:
        if writes["armed"] and pk.removeprefix("INC#") in b_keys:
            writes["b"] += 1
            if writes["b"] > 2:
                return LambdaTimeout()
        return None

    put_fault(monkeypatch, decide)
    monkeypatch.setattr("sentinelle.store.dynamodb.WRITERS", 1, raising=False)  # a deterministic order
    store = DynamoDBStore(TABLE)
    with pytest.raises(LambdaTimeout):
        run(store, [feed(tmp_path, "a", range(3)), feed(tmp_path, "b", range(5))])
    assert store.get_checkpoint("replay:a", checkpoint_query("every_item", QUERY)) == "3"
    assert store.get_checkpoint("replay:b", checkpoint_query("every_item", QUERY)) is None
    landed = [i for i in incidents(aws) if i.startswith("b-")]
    assert len(landed) == 2
    writes["armed"] = False
    summary = run(store, [feed(tmp_path, "a", range(3)), feed(tmp_path, "b", range(5))], NOW + timedelta(minutes=5))
    assert summary.new == 3 and summary.repeat == 2  # a is not re-read; b's landed writes are repeats
    assert incidents(aws) == sorted(expected("a", range(3)) + expected("b", range(5)))


# --------------------------------------------------------------- SNS failing in the alert function

def load_alert_app() -> Any:
    spec = importlib.util.spec_from_file_location("faults_alert_app", ROOT / "functions" / "alert" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


class AlertContext:
    function_name = "AlertFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-3:123456789012:function:AlertFunction"
    aws_request_id = "8f5b6c1a-0000-4000-8000-0000000fa017"
    log_group_name = "/aws/lambda/AlertFunction"
    log_stream_name = "2026/11/28/[$LATEST]0000"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def stream_event(ddb: Any) -> dict[str, Any]:
    """The INSERT records the table's incident writes put on its stream, in write order."""
    items = sorted((i for i in ddb.scan(TableName=TABLE)["Items"] if i["pk"]["S"].startswith("INC#")),
                   key=lambda i: i["pk"]["S"])
    return {"Records": [
        {"eventID": str(n), "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
         "awsRegion": "eu-west-3",
         "eventSourceARN": f"arn:aws:dynamodb:eu-west-3:123456789012:table/{TABLE}/stream/2026-11-28T00:00:00.000",
         "dynamodb": {"Keys": {"pk": i["pk"], "sk": i["sk"]}, "NewImage": i, "SequenceNumber": f"{n:024d}",
                      "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES"}}
        for n, i in enumerate(({**i, "last_change": {"S": "new"}} for i in items), 1)]}


@pytest.fixture
def alerting(aws, tmp_path, monkeypatch) -> Iterator[dict[str, Any]]:
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="sentinelle-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    monkeypatch.setenv("SENTINELLE_TOPIC_ARN", topic)
    monkeypatch.setenv("SENTINELLE_API_URL", "https://api.example.test")
    config = tmp_path / "sentinelle.yaml"  # the alert function's thresholds: one message per change here
    config.write_text(json.dumps({"watchlist": {"organization": "Acme", "thresholds": {"digest_after": 100}},
                                  "detectors": {}}))
    monkeypatch.setenv("SENTINELLE_CONFIG", str(config))
    run(DynamoDBStore(TABLE), [feed(tmp_path, "a", range(6))])
    app = load_alert_app()

    def received() -> list[str]:
        out = []
        while True:
            got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return out
            for m in got:
                out.append(json.loads(json.loads(m["Body"])["Message"])["incident"]["subject"]["id"])
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])

    yield {"app": app, "event": stream_event(aws), "received": received}


def sns_fault(monkeypatch: pytest.MonkeyPatch, fail_calls: set[int]) -> dict[str, int]:
    """Fail the n-th SNS Publish (1-based) for n in fail_calls, as a disabled KMS key would."""
    original = SNSBackend.publish
    count = {"n": 0}

    def publish(self: Any, *a: Any, **kw: Any) -> Any:
        count["n"] += 1
        if count["n"] in fail_calls:
            raise JsonRESTError("KMSDisabled", "The request was rejected because the KMS key is disabled")
        return original(self, *a, **kw)

    monkeypatch.setattr(SNSBackend, "publish", publish)
    return count


def invoke(app: Any, event: dict[str, Any]) -> list[str]:
    out = app.handler(json.loads(json.dumps(event)), AlertContext())
    return [f["itemIdentifier"] for f in out["batchItemFailures"]]


def test_sns_failure_fails_the_item_and_the_retry_publishes_it_once(alerting, monkeypatch) -> None:
    app, event, received = alerting["app"], alerting["event"], alerting["received"]
    sns_fault(monkeypatch, {3})
    failed = invoke(app, event)
    assert len(failed) == 1
    first = received()
    assert len(first) == 5
    # Lambda retries from the first failed record on (ReportBatchItemFailures).
    seqs = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
    retry = {"Records": event["Records"][seqs.index(failed[0]):]}
    assert invoke(app, retry) == []
    second = received()
    assert sorted(first + second) == expected("a", range(6))  # each alert once: none twice, none dropped


def test_whole_batch_retried_after_sns_failures_still_alerts_each_change_once(alerting, monkeypatch) -> None:
    app, event, received = alerting["app"], alerting["event"], alerting["received"]
    sns_fault(monkeypatch, {1, 4})
    assert len(invoke(app, event)) == 2
    assert invoke(app, event) == []  # a retry of the whole batch (bisect, redrive, a human)
    assert invoke(app, event) == []
    assert sorted(received()) == expected("a", range(6))
