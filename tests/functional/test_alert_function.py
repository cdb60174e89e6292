"""The alert Lambda under moto: one SNS message per new or escalated incident, exactly once."""

from __future__ import annotations

import importlib.util
import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_template import create_table, template
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from moto import mock_aws

from sentinelle.alerts.sinks import SnsSink
from sentinelle.model import Finding, Incident, Severity, Subject
from sentinelle.incidents import merge_finding

ROOT = Path(__file__).resolve().parents[2]
TABLE = "sentinelle-alert-test"
T0 = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


def load_lambda(folder: str, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "functions" / folder / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


app = load_lambda("alert", "sentinelle_alert_app")


class Context:
    function_name = "AlertFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-3:123456789012:function:AlertFunction"
    aws_request_id = "8f5b6c1a-0000-4000-8000-000000000001"
    log_group_name = "/aws/lambda/AlertFunction"
    log_stream_name = "2026/11/28/[$LATEST]0000"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000




class Aws:
    """The table (from template.yaml), the topic and a queue subscribed to read what was published."""

    def __init__(self) -> None:
        self.ddb = boto3.client("dynamodb")
        create_table(self.ddb, TABLE)
        self.sns, self.sqs = boto3.client("sns"), boto3.client("sqs")
        self.topic = self.sns.create_topic(Name="sentinelle-alerts")["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=arn)
        self.received: list[dict[str, Any]] = []

    def reset(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A clean slate for each test, without paying for new resources."""
        for item in self.ddb.scan(TableName=TABLE, ProjectionExpression="pk, sk")["Items"]:
            self.ddb.delete_item(TableName=TABLE, Key=item)
        self.messages()
        self.received = []
        monkeypatch.setenv("SENTINELLE_TABLE", TABLE)
        monkeypatch.setenv("SENTINELLE_TOPIC_ARN", self.topic)
        monkeypatch.setenv("SENTINELLE_API_URL", "https://api.example.test")
        configure(monkeypatch)
        app.sns_client.cache_clear()
        app.publishers.cache_clear()

    def messages(self) -> list[dict[str, Any]]:
        """Everything published so far (SNS envelopes as SQS delivers them)."""
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return self.received
            for m in got:
                self.received.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=m["ReceiptHandle"])


@pytest.fixture(scope="module")
def aws_resources():
    with mock_aws():
        yield Aws()
    app.sns_client.cache_clear()
    app.publishers.cache_clear()


def configure(monkeypatch: pytest.MonkeyPatch, teams: list[dict[str, Any]] | None = None, **thresholds: Any) -> None:
    """The run configuration the alert function reads its thresholds from (SSM on AWS, a file here)."""
    folder = Path(tempfile.mkdtemp(prefix="sentinelle-alert-"))
    config = {"watchlist": {"organization": "Maison Lumière", "thresholds": thresholds, "teams": teams or []},
              "detectors": {}}
    (folder / "sentinelle.yaml").write_text(json.dumps(config))
    monkeypatch.setenv("SENTINELLE_CONFIG", str(folder / "sentinelle.yaml"))


@pytest.fixture
def aws(aws_resources, monkeypatch):
    aws_resources.reset(monkeypatch)
    return aws_resources


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return app.handler(json.loads(json.dumps(event)), Context())


def attrs(message: dict[str, Any]) -> dict[str, str]:
    return {k: v["Value"] for k, v in message["MessageAttributes"].items()}


# ----------------------------------------------------------------------------- stream records

def finding(n: int = 1, severity: Severity = Severity.high, detector: str = "impersonation") -> Finding:
    return Finding(detector=detector, kind="person_account", severity=severity, score={"medium": 60, "high": 80,
                   "critical": 95}.get(severity.value, 30),
                   reasons=[f"display name copies Claire Dubois (protected person) #{n}"],
                   evidence={"card": "4111 •••• •••• 1111"},
                   subject=Subject(platform="mastodon", kind="account", id=f"10900000{n}", handle=f"claire{n}@evil.example",
                                   url=f"https://evil.example/@claire{n}"))


def image(incident: Incident, version: int, change: str = "new") -> dict[str, Any]:
    """The item as DynamoDBStore writes it, with the change that write recorded (`last_change`)."""
    from sentinelle.store.dynamodb import INCIDENT_SK, DynamoDBStore, SentinelleTable

    item = SentinelleTable(f"INC#{incident.id}", INCIDENT_SK)
    DynamoDBStore._fill(item, incident)
    item.version = version
    item.last_change = change
    return item.serialize()


def record(seq: int, name: str, new: dict[str, Any], old: dict[str, Any] | None = None) -> dict[str, Any]:
    ddb: dict[str, Any] = {"Keys": {"pk": new["pk"], "sk": new["sk"]}, "NewImage": new,
                           "SequenceNumber": f"{seq:024d}", "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if old is not None:
        ddb["OldImage"] = old
    return {"eventID": str(seq), "eventName": name, "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "eu-west-3", "dynamodb": ddb,
            "eventSourceARN": f"arn:aws:dynamodb:eu-west-3:123456789012:table/{TABLE}/stream/2026-11-28T00:00:00.000"}


def insert(seq: int, f: Finding) -> dict[str, Any]:
    inc, _ = merge_finding(None, f, T0)
    return record(seq, "INSERT", image(inc, 1))


def sample_event() -> dict[str, Any]:
    return json.loads((ROOT / "events" / "alert_stream.json").read_text())


# ------------------------------------------------------------------------------------- tests

def test_insert_publishes_once_with_attributes(aws):
    event = sample_event()
    event["Records"] = [r for r in event["Records"] if r["eventName"] == "INSERT"]
    assert invoke(event) == {"batchItemFailures": []}
    (msg,) = aws.messages()
    assert attrs(msg) == {"severity": "high", "detector": "impersonation", "channels": '["alert", "sms"]'}
    assert msg["Subject"].startswith("[Sentinelle HIGH] New impersonation")
    payload = json.loads(msg["Message"])  # the `default` variant: the JSON payload
    assert payload["incident"]["detector"] == "impersonation" and payload["text"]
    assert payload["incident_url"].startswith("https://api.example.test/incidents/")


def test_messages_name_the_teams_the_watchlist_routes_them_to(aws, monkeypatch):
    configure(monkeypatch, teams=[{"name": "security", "detectors": ["impersonation"]},
                                  {"name": "compliance", "detectors": ["leaks"]}])
    assert invoke({"Records": [insert(1, finding(1))]}) == {"batchItemFailures": []}
    (msg,) = aws.messages()
    assert attrs(msg)["team"] == '["security"]'


def test_sample_batch_alerts_new_and_escalated(aws):
    invoke(sample_event())
    got = sorted((attrs(m)["detector"], attrs(m)["severity"]) for m in aws.messages())
    assert got == [("impersonation", "high"), ("scams", "critical")]


def test_retry_of_the_same_batch_publishes_nothing_more(aws):
    invoke(sample_event())
    invoke(sample_event())  # Lambda retried the batch (timeout, throttling...)
    assert len(aws.messages()) == 2
    items = boto3.client("dynamodb").query(TableName=TABLE, KeyConditionExpression="pk = :p",
                                           ExpressionAttributeValues={":p": {"S": "IDEMPOTENCY#alert"}})["Items"]
    assert len(items) == 2 and all("expires_at" in i for i in items)


def test_modify_without_escalation_publishes_nothing(aws):
    old, _ = merge_finding(None, finding(), T0)
    new, change = merge_finding(old, finding(), T0 + timedelta(minutes=15))
    assert change.value == "repeat"
    assert invoke({"Records": [record(5, "MODIFY", image(new, 2, "repeat"), image(old, 1))]}) == {"batchItemFailures": []}
    assert aws.messages() == []


def test_escalation_publishes_with_the_new_severity(aws):
    old, _ = merge_finding(None, finding(severity=Severity.medium), T0)
    new, change = merge_finding(old, finding(severity=Severity.critical), T0 + timedelta(minutes=15))
    assert change.value == "escalated"
    invoke({"Records": [record(6, "MODIFY", image(new, 2, "escalated"), image(old, 1))]})
    (msg,) = aws.messages()
    assert attrs(msg)["severity"] == "critical"
    assert "Escalated" in msg["Subject"]


def test_non_incident_items_are_ignored(aws):
    checkpoint = {"pk": {"S": "CP#mastodon"}, "sk": {"S": "Q#hashtag:*:MaisonLumiere"}, "value": {"S": "1100"}}
    idem = {"pk": {"S": "IDEMPOTENCY#alert"}, "sk": {"S": "abc"}, "status": {"S": "COMPLETED"}}
    allow = {"pk": {"S": "ALLOW"}, "sk": {"S": "account#x:someone"}}
    event = {"Records": [record(7, "INSERT", checkpoint), record(8, "INSERT", idem), record(9, "MODIFY", allow, allow)]}
    assert invoke(event) == {"batchItemFailures": []}
    assert aws.messages() == []


def test_below_alert_threshold_publishes_nothing(aws):
    assert invoke({"Records": [insert(10, finding(severity=Severity.low))]}) == {"batchItemFailures": []}
    assert aws.messages() == []


def test_an_unreadable_record_is_reported_and_skipped_not_retried(aws, capsys, caplog):
    broken = insert(11, finding(1))
    broken["dynamodb"]["NewImage"]["data"] = {"S": "{not json"}
    assert invoke({"Records": [broken, insert(12, finding(2))]}) == {"batchItemFailures": []}
    assert len(aws.messages()) == 1
    (skipped,) = [r for r in caplog.records if r.getMessage() == "incident record skipped"]
    assert skipped.levelname == "ERROR" and skipped.sequence_number == f"{11:024d}"
    assert '"UnreadableRecords":[1.0]' in capsys.readouterr().out


def test_a_partly_failed_batch_retried_alerts_each_change_once(aws, monkeypatch):
    """One publish fails, Lambda retries from it: the others, already sent, are not sent again."""
    event = {"Records": [insert(40 + n, finding(n)) for n in range(3)]}
    send, calls = SnsSink.send, {"n": 0}

    def flaky(self, incident, change):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("SNS throttled")
        return send(self, incident, change)

    monkeypatch.setattr(SnsSink, "send", flaky)
    assert invoke(event) == {"batchItemFailures": [{"itemIdentifier": f"{41:024d}"}]}
    retry = {"Records": event["Records"][1:]}  # from the lowest failed sequence number on
    assert invoke(retry) == {"batchItemFailures": []}
    handles = sorted(json.loads(m["Message"])["incident"]["subject"]["handle"] for m in aws.messages())
    assert handles == ["claire0@evil.example", "claire1@evil.example", "claire2@evil.example"]


def test_a_digest_then_a_split_retry_alerts_nothing_again(aws, monkeypatch):
    """The function timed out after the digest went out; Lambda splits the batch and retries."""
    configure(monkeypatch, digest_after=3)
    records = [insert(50 + n, finding(n)) for n in range(6)]
    invoke({"Records": records})
    invoke({"Records": records[:3]})
    invoke({"Records": records[3:]})
    (msg,) = aws.messages()
    assert "Digest: 6 incidents" in msg["Subject"]


def test_publish_failure_is_reported_and_the_retry_publishes_once(aws, monkeypatch):
    event = {"Records": [insert(13, finding(1))]}
    monkeypatch.setenv("SENTINELLE_TOPIC_ARN", aws.topic + "-missing")
    with pytest.raises(BatchProcessingError):  # every record failed: the invocation fails, Lambda retries
        invoke(event)
    monkeypatch.setenv("SENTINELLE_TOPIC_ARN", aws.topic)
    assert invoke(event) == {"batchItemFailures": []}
    invoke(event)
    assert len(aws.messages()) == 1


def test_a_burst_becomes_one_digest_exactly_once(aws, monkeypatch):
    configure(monkeypatch, digest_after=3)
    event = {"Records": [insert(20 + n, finding(n, detector=d)) for n, d in
                         enumerate(["impersonation"] * 3 + ["scams"] * 2)]}
    event["Records"][0] = insert(20, finding(0, severity=Severity.critical))
    assert invoke(event) == {"batchItemFailures": []}
    invoke(event)
    (msg,) = aws.messages()
    assert msg["Subject"].startswith("[Sentinelle CRITICAL] Digest: 5 incidents")
    assert msg["MessageAttributes"]["detector"] == {"Type": "String.Array", "Value": '["impersonation", "scams"]'}
    assert msg["MessageAttributes"]["severity"]["Value"] == "critical"
    assert len(json.loads(msg["Message"])["incidents"]) == 5


def test_masked_values_stay_masked_in_every_variant(aws):
    f = finding()
    f = f.model_copy(update={"reasons": ["asks for the card 4111 1111 1111 1111 by message"]})
    invoke({"Records": [insert(30, f)]})
    (msg,) = aws.messages()
    assert "4111 1111 1111 1111" not in json.dumps(msg)


def template_filter() -> dict[str, Any]:
    tpl = template()
    (esm,) = [e for e in tpl["Resources"]["AlertFunction"]["Properties"]["Events"].values() if e["Type"] == "DynamoDB"]
    return json.loads(esm["Properties"]["FilterCriteria"]["Filters"][0]["Pattern"])


def _matches(pattern: Any, value: Any) -> bool:
    """The part of Lambda's event filter patterns the template uses: nesting, values, prefix."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and _matches(p, value[k]) for k, p in pattern.items())
    return any((isinstance(p, dict) and isinstance(value, str) and value.startswith(p["prefix"])) or p == value
               for p in pattern)


def test_real_store_writes_alert_once_per_change(aws):
    """DynamoDBStore's own items as the stream carries them (whole old and new images), through the
    template's event filter, into the handler. (moto's stream API does not answer this botocore.)"""
    from sentinelle.store.dynamodb import DynamoDBStore

    store, pattern, records = DynamoDBStore(TABLE), template_filter(), []

    def write(action: Any, pk: str, sk: str) -> None:
        key = {"pk": {"S": pk}, "sk": {"S": sk}}
        old = aws.ddb.get_item(TableName=TABLE, Key=key).get("Item")
        action()
        new = aws.ddb.get_item(TableName=TABLE, Key=key)["Item"]
        rec = record(100 + len(records), "MODIFY" if old else "INSERT", new, old)
        if _matches(pattern, rec):
            records.append(rec)

    f = finding(1, Severity.medium)
    pk = f"INC#{f.incident_key}"
    write(lambda: store.record(f, T0), pk, "INC")
    write(lambda: store.record(finding(1, Severity.medium), T0 + timedelta(minutes=15)), pk, "INC")
    write(lambda: store.record(finding(1, Severity.critical), T0 + timedelta(minutes=30)), pk, "INC")
    write(lambda: store.put_checkpoint("mastodon", "hashtag:*:X", "110", T0), "CP#mastodon", "Q#hashtag:*:X")
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "MODIFY"], "the checkpoint is filtered out"
    assert invoke({"Records": records}) == {"batchItemFailures": []}
    got = [(attrs(m)["severity"], m["Subject"].split("]")[1].split()[0]) for m in aws.messages()]
    assert got == [("medium", "New"), ("critical", "Escalated")]
    # The function's own idempotency records would be on the stream too: the filter drops them.
    for item in aws.ddb.scan(TableName=TABLE)["Items"]:
        if item["pk"]["S"].startswith("IDEMPOTENCY#"):
            assert not _matches(pattern, record(999, "INSERT", item))
