"""Fan-out under moto: the scheduled scan queues its work units, the worker runs them with a
partial batch response, a poisoned unit lands in the dead-letter queue after its retries while the
rest of the run completes, and two workers on one unit never record an incident twice."""

from __future__ import annotations

import importlib.util
import json
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_template import create_table, template
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo"
TABLE = "sentinelle-fanout-test"
HASH_KEY_SECRET = "sentinelle/fanout/hash-key"


def load_lambda(folder: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"fanout_{folder}_app", ROOT / "functions" / folder / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


SCAMS = load_lambda("scan_scams")
WORKER = load_lambda("worker")


class Context:
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    aws_request_id = "8f5b6c1a-0000-4000-8000-0000000000f0"

    def __init__(self, name: str):
        self.function_name = name
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-3:123456789012:function:{name}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def queue_properties(name: str) -> dict[str, Any]:
    return template()["Resources"][name]["Properties"]


@pytest.fixture
def aws(monkeypatch):
    from moto.core.botocore_stubber import BotocoreStubber

    from sentinelle.lambdas import get_store, sqs_client

    # DynamoDB applies each request atomically; moto does not lock, so two threads could both pass
    # one condition check. Serialise requests to model the real service (as test_store_contract).
    lock, real = threading.Lock(), BotocoreStubber.process_request

    def atomic(self: Any, request: Any) -> Any:
        with lock:
            return real(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", atomic)
    with mock_aws():
        create_table(boto3.client("dynamodb"), TABLE)
        boto3.client("secretsmanager").create_secret(Name=HASH_KEY_SECRET, SecretString="k" * 64)
        sqs = boto3.client("sqs")
        fifo = {k: str(queue_properties("WorkQueue")[k]).lower() for k in ("FifoQueue", "ContentBasedDeduplication")}
        dlq = sqs.create_queue(QueueName="work-dlq.fifo", Attributes=fifo)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = queue_properties("WorkQueue")["RedrivePolicy"]
        # The template's queues; visibility 0 so that a failed unit comes back at once.
        work = sqs.create_queue(QueueName="work.fifo", Attributes={**fifo, "VisibilityTimeout": "0", "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": redrive["maxReceiveCount"]})})["QueueUrl"]
        monkeypatch.setenv("SENTINELLE_TABLE", TABLE)
        monkeypatch.setenv("SENTINELLE_CONFIG", str(DEMO / "sentinelle.yaml"))
        monkeypatch.setenv("SENTINELLE_HASH_KEY_SECRET", HASH_KEY_SECRET)
        monkeypatch.setenv("SENTINELLE_WORK_QUEUE_URL", work)
        get_store.cache_clear()
        sqs_client.cache_clear()
        yield {"sqs": sqs, "work": work, "dlq": dlq, "ddb": boto3.client("dynamodb")}
        get_store.cache_clear()
        sqs_client.cache_clear()


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                         "attributes": m.get("Attributes", {}), "messageAttributes": {},
                         "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs", "eventSourceARN": queue_arn,
                         "awsRegion": "eu-west-3"} for m in messages]}


def drain(aws: dict[str, Any], batch: int = 1, rounds: int = 30) -> list[dict[str, Any]]:
    """What Lambda's SQS event source does: receive, invoke the worker, delete what succeeded."""
    sqs, url = aws["sqs"], aws["work"]
    answers = []
    for _ in range(rounds):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=batch,
                                       MessageSystemAttributeNames=["All"]).get("Messages", [])
        if not messages:
            break
        try:
            answer = WORKER.handler(sqs_event(messages, "arn:aws:sqs:eu-west-3:123456789012:work.fifo"), Context("worker"))
        except BatchProcessingError:  # every record failed: the invocation fails, the batch comes back
            answer = {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in messages]}
        answers.append(answer)
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        for m in messages:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return answers


def incident_ids(ddb: Any) -> list[str]:
    items = ddb.query(TableName=TABLE, IndexName="by_recent", KeyConditionExpression="entity = :e",
                      ExpressionAttributeValues={":e": {"S": "incident"}})["Items"]
    return sorted(i["pk"]["S"] for i in items)


def in_process_incidents(tmp_path: Path) -> int:
    """The same scan run in-process on SQLite: fan-out must find exactly as much."""
    from sentinelle.config import load_config
    from sentinelle.runner import run_detector
    from sentinelle.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "s.db")
    summary = run_detector("scams", config=load_config(str(DEMO / "sentinelle.yaml")), store=store)
    store.close()
    return summary.new


def test_the_schedule_queues_units_and_the_worker_records_what_one_invocation_would(aws, tmp_path):
    planned = SCAMS.handler({}, Context("scan-scams"))
    assert planned == {"detector": "scams", "units_queued": 2}
    answers = drain(aws)
    assert len(answers) == 2 and all(a == {"batchItemFailures": []} for a in answers)
    recorded = incident_ids(aws["ddb"])
    assert recorded and len(recorded) == in_process_incidents(tmp_path)
    # The next schedule reads from the checkpoints the workers left: nothing new, nothing twice.
    SCAMS.handler({}, Context("scan-scams"))
    drain(aws)
    assert incident_ids(aws["ddb"]) == recorded


def test_a_poisoned_unit_is_dead_lettered_after_its_retries_and_the_rest_completes(aws, tmp_path):
    sqs = aws["sqs"]
    sqs.send_message(QueueUrl=aws["work"], MessageBody=json.dumps({"detector": "scams", "query": "nonsense"}),
                     MessageGroupId="poison#0", MessageDeduplicationId="poison")
    SCAMS.handler({}, Context("scan-scams"))
    answers = drain(aws, batch=10)
    assert any(a["batchItemFailures"] for a in answers)  # reported alone, not the whole batch
    dead = sqs.receive_message(QueueUrl=aws["dlq"], MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"]) for m in dead] == [{"detector": "scams", "query": "nonsense"}]
    assert sqs.receive_message(QueueUrl=aws["work"]).get("Messages", []) == []
    assert len(incident_ids(aws["ddb"])) == in_process_incidents(tmp_path)


def test_a_unit_whose_findings_cannot_be_recorded_fails_and_moves_no_checkpoint(aws, monkeypatch):
    from sentinelle.lambdas import get_store
    from sentinelle.pipeline import WorkUnit
    from sentinelle.ports import Query

    store = get_store()

    def broken(findings: Any, now: Any) -> Any:
        raise RuntimeError("throttled")

    monkeypatch.setattr(store, "record_many", broken)
    unit = WorkUnit("scams", "replay:feeds/mastodon_tag_maisonlumiere.jsonl",
                    Query(kind="hashtag", value="MaisonLumiere"))
    aws["sqs"].send_message(QueueUrl=aws["work"], MessageBody=json.dumps(unit.as_message()),
                            MessageGroupId="g#0", MessageDeduplicationId="d")
    (answer, *_) = drain(aws, rounds=1)
    assert len(answer["batchItemFailures"]) == 1
    assert store.get_checkpoint(unit.source, f"scams|{unit.query.key}") is None


def test_two_workers_on_one_unit_never_record_an_incident_twice(aws):
    """The same unit delivered twice at once (SQS is at-least-once): the conditional writes let
    one worker create each incident and the other see it as a repeat."""
    from sentinelle.pipeline import WorkUnit
    from sentinelle.ports import Query

    unit = WorkUnit("scams", "replay:feeds/mastodon_tag_maisonlumiere.jsonl",
                    Query(kind="hashtag", value="MaisonLumiere"))
    event = {"Records": [{"messageId": "m1", "receiptHandle": "r1", "body": json.dumps(unit.as_message()),
                          "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                          "eventSourceARN": "arn:aws:sqs:eu-west-3:123456789012:work.fifo", "awsRegion": "eu-west-3"}]}
    from sentinelle.lambdas import run_unit

    class NoMetrics:
        def add_dimension(self, **kw: Any) -> None: ...
        def add_metric(self, **kw: Any) -> None: ...

    summaries: list[dict[str, Any]] = []
    barrier = threading.Barrier(2)

    def work() -> None:
        barrier.wait()
        summaries.append(run_unit(json.loads(event["Records"][0]["body"]), NoMetrics()))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recorded = incident_ids(aws["ddb"])
    assert len(summaries) == 2 and recorded
    assert sum(s["new"] for s in summaries) == len(recorded)  # each incident created once
    assert len(set(recorded)) == len(recorded)


def test_the_sample_event_runs_through_the_worker(aws):
    event = json.loads((ROOT / "events" / "worker.json").read_text())
    assert WORKER.handler(event, Context("worker")) == {"batchItemFailures": []}
    assert incident_ids(aws["ddb"])


def test_the_units_of_one_run_count_once_for_source_health(aws, monkeypatch, tmp_path):
    """Every unit of a failing source fails in one run: one failing run, not one per unit (the
    workers count by the time the run was planned)."""
    import yaml

    from sentinelle.lambdas import get_store
    from sentinelle.sources.health import consecutive_failures

    doc = yaml.safe_load((DEMO / "sentinelle.yaml").read_text())
    doc["watchlist"] = str(DEMO / doc["watchlist"])
    for det, spec in doc["detectors"].items():
        for src in spec["sources"]:
            src["path"] = str(DEMO / src["path"])
            if det == "scams":  # two units on one source whose file is gone
                src["path"], src["name"] = str(tmp_path / "gone.jsonl"), "replay:gone"
    (tmp_path / "sentinelle.yaml").write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("SENTINELLE_CONFIG", str(tmp_path / "sentinelle.yaml"))
    assert SCAMS.handler({}, Context("scan-scams"))["units_queued"] == 2
    drain(aws)
    assert consecutive_failures(get_store(), "replay:gone") == 1


def test_the_deadline_keeps_time_to_record(monkeypatch):
    from sentinelle.lambdas import deadline_of

    deadline = deadline_of(Context("worker"))  # 300 s left
    assert 265 < deadline.remaining() <= 270 and deadline.margin == 20
    assert deadline_of(None) is None


class NoMetrics:
    def add_dimension(self, **kw: Any) -> None: ...
    def add_metric(self, **kw: Any) -> None: ...


def test_units_are_queued_in_their_sources_groups_and_never_twice_within_the_window(aws, tmp_path, monkeypatch):
    """FIFO keeps each source to its limit: a source with `concurrency: 2` has its units in two
    message groups, so two at most are in flight, whatever is queued; the same scan planned again
    (a retried schedule) is deduplicated by SQS."""
    import yaml

    from sentinelle.lambdas import queue_scan
    from sentinelle.pipeline import WorkUnit, queue_keys

    doc = {"watchlist": str(DEMO / "watchlist.yaml"), "detectors": {"scams": {"sources": [
        {"type": "mastodon", "instance": "mastodon.example", "concurrency": 2}]}}}
    (tmp_path / "sentinelle.yaml").write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("SENTINELLE_CONFIG", str(tmp_path / "sentinelle.yaml"))
    sqs, url = aws["sqs"], aws["work"]

    def queued() -> int:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attrs["Attributes"]["ApproximateNumberOfMessages"])

    first = queue_scan("scams", url, NoMetrics())["units_queued"]
    assert first >= 3 and queued() == first
    assert queue_scan("scams", url, NoMetrics())["units_queued"] == first  # sent again, within 5 minutes
    assert queued() == first  # ... and kept once

    # As the worker's event source takes them (one per invocation): all that can be in flight at
    # once, then those units done, and again until the queue is empty.
    received, groups = 0, set()
    while True:
        in_flight = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60,
                                           MessageSystemAttributeNames=["All"]).get("Messages", []):
            in_flight += batch
        if not in_flight:
            break
        assert 1 <= len(in_flight) <= 2  # never more than the source's limit
        assert len({m["Attributes"]["MessageGroupId"] for m in in_flight}) == len(in_flight)
        for m in in_flight:  # the keys are the unit's own (pipeline.queue_keys)
            keys = queue_keys(WorkUnit.from_message(json.loads(m["Body"])), 2)
            assert (m["Attributes"]["MessageGroupId"], m["Attributes"]["MessageDeduplicationId"]) == \
                (keys.group, keys.dedup)
            groups.add(keys.group)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        received += len(in_flight)
    assert received == first
    assert groups == {"mastodon:mastodon.example#0", "mastodon:mastodon.example#1"}
