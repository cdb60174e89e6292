"""Issue 16, item 12: each seed scenario reaches its team and no other.

The demo's three scenarios (the fake coupon, the copied adviser, the doctor's leak) are scanned
into a real SQLite file with the demo watchlist's teams. Locally each team's webhook is a real
HTTP server on 127.0.0.1; on AWS the alerts go through SNS (moto) to one SQS queue per team,
subscribed with the filter policy the template gives team subscriptions."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
import yaml
from moto import mock_aws

from sentinelle.alerts.dispatch import build_sinks, drain
from sentinelle.alerts.sinks import SnsSink
from sentinelle.config import AlertConfig, load_config
from sentinelle.model import Change
from sentinelle.runner import run_detector
from sentinelle.store.sqlite import SQLiteStore

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
OWNER = {"compliance": "leaks", "customer-care": "scams", "security": "impersonation"}


@pytest.fixture
def demo(tmp_path, demo_dir):
    config = load_config(str(demo_dir / "sentinelle.yaml"))
    assert sorted(t.name for t in config.wl.teams) == sorted(OWNER)  # the demo watchlist names the seed teams
    store = SQLiteStore(tmp_path / "sentinelle.db")
    for detector in ("scams", "impersonation", "leaks"):
        run_detector(detector, config=config, store=store, now=NOW)
    return config, store


class Inbox(BaseHTTPRequestHandler):
    got: dict[str, list[dict]] = {}

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.got.setdefault(self.path.strip("/"), []).append(body)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


def detectors_in(payloads: list[dict]) -> set[str]:
    out = set()
    for p in payloads:
        out |= {i["detector"] for i in p["incidents"]} if p.get("digest") else {p["detector"]}
    return out


def test_locally_each_team_webhook_receives_its_scenario_only(demo):
    config, store = demo
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Inbox)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        teams = [t.model_copy(update={"webhook": f"{base}/{t.name}"}) for t in config.wl.teams]
        sinks = build_sinks(AlertConfig(console=False, webhook=f"{base}/default"), {}, teams)
        report = drain(store, sinks, config.wl.thresholds, now=NOW, teams=teams)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert report.ok and report.delivered
    assert detectors_in(Inbox.got["default"]) == set(OWNER.values())  # the default channel: everything
    for team, detector in OWNER.items():
        assert detectors_in(Inbox.got[team]) == {detector}, team


def template_team_filter(repo_root: Path) -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, tag, node: None)  # !Ref and friends: not needed here
    resources = yaml.load((repo_root / "template.yaml").read_text(), Loader=Loader)["Resources"]
    sub = resources["Team1EmailSubscription"]["Properties"]
    assert sub["FilterPolicyScope"] == "MessageAttributes" and list(sub["FilterPolicy"]) == ["team"]
    return sub


@pytest.mark.parametrize("digest", [False, True], ids=["one by one", "digest"])
def test_on_aws_each_team_subscription_receives_its_scenario_only(demo, repo_root, digest):
    config, store = demo
    template_team_filter(repo_root)
    alerts = [(i, Change.new) for i in store.list(limit=500).items if i.severity >= config.wl.thresholds.alert]
    assert {i.detector for i, _ in alerts} == set(OWNER.values())
    with mock_aws():
        sns, sqs = boto3.client("sns", region_name="eu-west-3"), boto3.client("sqs", region_name="eu-west-3")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queues = {}
        for team in [*OWNER, "default"]:
            url = sqs.create_queue(QueueName=f"inbox-{team}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            policy = {"channels": ["alert"]} if team == "default" else {"team": [team]}
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True,
                          Attributes={"FilterPolicy": json.dumps(policy), "FilterPolicyScope": "MessageAttributes",
                                      "RawMessageDelivery": "true"})
            queues[team] = url
        sink = SnsSink(topic, config.wl.thresholds, teams=config.wl.teams, client=sns)
        if digest:
            sink.send_digest(alerts)
        else:
            for incident, change in alerts:
                sink.send(incident, change)

        def received(team: str) -> list[dict]:
            out = []
            while batch := sqs.receive_message(QueueUrl=queues[team], MaxNumberOfMessages=10).get("Messages"):
                for m in batch:
                    out.append(json.loads(m["Body"]))
                    sqs.delete_message(QueueUrl=queues[team], ReceiptHandle=m["ReceiptHandle"])
            return out

        assert detectors_in(received("default")) == set(OWNER.values())
        for team, detector in OWNER.items():
            got = received(team)
            assert got and detectors_in(got) == {detector}, team
            if digest:
                assert len(got) == 1  # one digest of its own incidents, not the whole burst
