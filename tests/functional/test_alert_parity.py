"""One alert policy on both roads (issue 12): the same findings under the same thresholds send the
same alerts locally (SQLite outbox -> drain -> sinks) and on AWS (DynamoDB -> stream -> the alert
Lambda -> SNS, read back through an SQS subscription)."""

from __future__ import annotations

import importlib.util
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest
from aws_template import create_table
from moto import mock_aws

from sentinelle.alerts.dispatch import drain
from sentinelle.model import Change, Finding, Incident, Severity, Subject
from sentinelle.ports import Channel, Items
from sentinelle.store.sqlite import SQLiteStore
from sentinelle.watchlist import Thresholds

ROOT = Path(__file__).resolve().parents[2]
TABLE = "sentinelle-parity"
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
SCORES = {Severity.low: 30, Severity.medium: 55, Severity.high: 80, Severity.critical: 95}

# Runs of a scan: (subject number, severity) found in each run.
RUNS = [
    [(1, Severity.low), (2, Severity.medium), (3, Severity.high)],
    [(1, Severity.low), (2, Severity.high), (3, Severity.high)],  # 2 escalates
    [(2, Severity.high), (4, Severity.critical), (1, Severity.medium)],  # 4 new, 1 escalates
    [(5, Severity.medium), (6, Severity.medium), (7, Severity.high)],  # a burst of three
]
THRESHOLDS = [
    Thresholds(),
    Thresholds(alert=Severity.high, sms=Severity.critical),
    Thresholds(alert=Severity.low, sms=Severity.medium, digest_after=2),
]

Sent = tuple[str, str, str]  # (incident id, change, channel)


def finding(n: int, severity: Severity) -> Finding:
    return Finding(detector="scams", kind="brand_scam", severity=severity, score=SCORES[severity],
                   reasons=[f"scam post #{n}"], subject=Subject(platform="x", kind="account", id=str(n),
                                                                 handle=f"fake{n}"))


class Recording:
    """A local sink of one channel that notes what it was given."""

    threshold: ClassVar[Channel]

    def __init__(self, channel: Channel, sent: list[Sent]) -> None:
        self.name, self.threshold, self.sent = f"recording-{channel}", channel, sent  # type: ignore[misc]

    def send(self, incident: Incident, change: Change) -> None:
        self.sent.append((incident.id, change.value, self.threshold))

    def send_digest(self, items: Items) -> None:
        self.sent.extend((i.id, c.value, self.threshold) for i, c in items)


def local_road(tmp_path: Path, thresholds: Thresholds) -> list[list[Sent]]:
    out: list[list[Sent]] = []
    with SQLiteStore(tmp_path / "parity.db") as store:
        for n, run in enumerate(RUNS):
            now = T0 + timedelta(minutes=15 * n)
            store.record_many([finding(i, s) for i, s in run], now)
            sent: list[Sent] = []
            drain(store, [Recording("alert", sent), Recording("sms", sent)], thresholds, now=now)
            out.append(sorted(sent))
    return out


def load_alert_app() -> Any:
    spec = importlib.util.spec_from_file_location("parity_alert_app", ROOT / "functions" / "alert" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


class LambdaContext:
    function_name = "AlertFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-3:123456789012:function:AlertFunction"
    aws_request_id = "8f5b6c1a-0000-4000-8000-00000000000a"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def aws_road(tmp_path: Path, thresholds: Thresholds, monkeypatch: pytest.MonkeyPatch) -> list[list[Sent]]:
    from sentinelle.store.dynamodb import DynamoDBStore

    config = tmp_path / "sentinelle.yaml"
    config.write_text(json.dumps({"watchlist": {"organization": "Acme", "thresholds": thresholds.model_dump(mode="json")},
                                  "detectors": {}}))
    out: list[list[Sent]] = []
    with mock_aws():
        ddb, sns, sqs = boto3.client("dynamodb"), boto3.client("sns"), boto3.client("sqs")
        create_table(ddb, TABLE)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queues = {}
        for channel in ("alert", "sms"):  # as the template subscribes e-mail and SMS
            url = sqs.create_queue(QueueName=f"inbox-{channel}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                          Attributes={"FilterPolicy": json.dumps({"channels": [channel]}),
                                      "FilterPolicyScope": "MessageAttributes"})
            queues[channel] = url
        for k, v in {"SENTINELLE_TABLE": TABLE, "SENTINELLE_TOPIC_ARN": topic, "SENTINELLE_CONFIG": str(config),
                     "SENTINELLE_API_URL": "https://api.example.test"}.items():
            monkeypatch.setenv(k, v)
        app = load_alert_app()
        store = DynamoDBStore(TABLE)
        seq = 0
        for n, run in enumerate(RUNS):
            now = T0 + timedelta(minutes=15 * n)
            before = {i["pk"]["S"]: i for i in ddb.scan(TableName=TABLE)["Items"] if i["pk"]["S"].startswith("INC#")}
            store.record_many([finding(i, s) for i, s in run], now)
            records = []
            for item in ddb.scan(TableName=TABLE)["Items"]:
                pk = item["pk"]["S"]
                if not pk.startswith("INC#") or before.get(pk) == item:
                    continue
                seq += 1
                dynamo = {"Keys": {"pk": item["pk"], "sk": item["sk"]}, "NewImage": item,
                          "SequenceNumber": f"{seq:024d}", "StreamViewType": "NEW_AND_OLD_IMAGES"}
                if pk in before:
                    dynamo["OldImage"] = before[pk]
                records.append({"eventID": str(seq), "eventName": "MODIFY" if pk in before else "INSERT",
                                "eventSource": "aws:dynamodb", "dynamodb": dynamo})
            assert app.handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
            sent: list[Sent] = []
            for channel, url in queues.items():
                while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                    for m in got:
                        doc = json.loads(json.loads(m["Body"])["Message"])
                        if doc.get("digest"):  # the SMS variant of a digest lists the SMS-worthy ones only
                            sent += [(e["id"], e["change"], channel) for e in doc["incidents"]
                                     if channel == "alert" or Severity(e["severity"]) >= thresholds.sms]
                        else:
                            sent.append((doc["incident"]["id"], doc["change"], channel))
                        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            out.append(sorted(sent))
    return out


@pytest.mark.parametrize("thresholds", THRESHOLDS, ids=["defaults", "high-critical", "low-medium-digest2"])
def test_local_and_aws_send_the_same_alerts(tmp_path, monkeypatch, thresholds):
    local = local_road(tmp_path, thresholds)
    aws = aws_road(tmp_path, thresholds, monkeypatch)
    assert local == aws
    assert any(local), "the sequence alerted no one: it proves nothing"
    everything = [s for run in local for s in run]
    if thresholds.alert == Severity.high:  # the watchlist's threshold, not a default, decided
        assert all(ch != "new" or inc != finding(2, Severity.medium).incident_key for inc, ch, _ in everything)
    assert all(change in ("new", "escalated", "reopened") for _, change, _ in everything)
