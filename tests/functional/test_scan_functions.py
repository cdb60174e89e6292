"""The scan Lambdas under moto: the demo scanned into DynamoDB, config from a file or SSM, metrics by Detector."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from aws_template import create_table
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo"
TABLE = "sentinelle-scan-test"
DETECTORS = ("scams", "impersonation", "leaks")


def load_lambda(folder: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"sentinelle_{folder}_app", ROOT / "functions" / folder / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


APPS = {name: load_lambda(f"scan_{name}") for name in DETECTORS}


HASH_KEY_SECRET = "sentinelle/test/hash-key"


class Context:
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    aws_request_id = "8f5b6c1a-0000-4000-8000-000000000002"

    def __init__(self, name: str):
        self.function_name = f"sentinelle-Scan{name.title()}Function"
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-3:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000




@pytest.fixture(scope="module")
def table():
    with mock_aws():
        ddb = boto3.client("dynamodb")
        create_table(ddb, TABLE)
        # The hash key as the template makes it: a generated Secrets Manager secret.
        boto3.client("secretsmanager").create_secret(Name=HASH_KEY_SECRET, SecretString="k" * 64)
        yield ddb


@pytest.fixture
def aws(table, monkeypatch):
    """An empty table (incidents and checkpoints from earlier tests removed) and the demo config."""
    from sentinelle.lambdas import get_store

    for item in table.scan(TableName=TABLE, ProjectionExpression="pk, sk")["Items"]:
        table.delete_item(TableName=TABLE, Key=item)
    monkeypatch.setenv("SENTINELLE_TABLE", TABLE)
    monkeypatch.setenv("SENTINELLE_CONFIG", str(DEMO / "sentinelle.yaml"))
    monkeypatch.setenv("SENTINELLE_HASH_KEY_SECRET", HASH_KEY_SECRET)
    get_store.cache_clear()
    yield table
    get_store.cache_clear()


def event(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / f"scan_{name}.json").read_text())


def json_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict):
            out.append(doc)
    return out


def emf_lines(text: str) -> list[dict[str, Any]]:
    return [d for d in json_lines(text) if "_aws" in d]


def incidents(ddb: Any) -> list[dict[str, Any]]:
    from boto3.dynamodb.types import TypeDeserializer

    items = ddb.query(TableName=TABLE, IndexName="by_recent", KeyConditionExpression="entity = :e",
                      ExpressionAttributeValues={":e": {"S": "incident"}})["Items"]
    return [{k: TypeDeserializer().deserialize(v) for k, v in i.items()} for i in items]


@pytest.mark.parametrize("name", DETECTORS)
def test_scan_records_the_demo_and_emits_metrics_by_detector(aws, capsys, name):
    capsys.readouterr()
    summary = APPS[name].handler(event(name), Context(name))
    assert summary["detector"] == name
    assert summary["items_read"] > 0
    assert summary["could_not_check"] == []
    out = capsys.readouterr().out
    metrics = [d for d in emf_lines(out) if "ItemsScanned" in d]
    (doc,) = metrics
    (block,) = doc["_aws"]["CloudWatchMetrics"]
    assert block["Namespace"] == "Sentinelle"
    assert block["Dimensions"] == [["Detector"]], "one dimension, Detector (STYLE.md)"
    assert doc["Detector"] == name
    assert {m["Name"] for m in block["Metrics"]} == {"ItemsScanned", "FindingsRecorded", "SourceErrors"}
    assert doc["ItemsScanned"] == [summary["items_read"]]
    assert doc["FindingsRecorded"] == [summary["findings"]]
    assert doc["SourceErrors"] == [0]
    recorded = [i for i in incidents(aws) if i["detector"] == name]
    assert len(recorded) == summary["new"]


def test_the_run_summary_is_one_json_line_with_its_fields(aws):
    """Logs Insights filters on the summary's fields (`filter run.new > 0`), not on a dict in text.
    The handler's powertools Logger is the `sentinelle` logger (POWERTOOLS_SERVICE_NAME in the
    template), so the package's own loggers propagate to its JSON handler."""
    import io
    import logging

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(APPS["leaks"].logger.registered_formatter)  # the handler's JSON formatter
    package = logging.getLogger("sentinelle")
    package.addHandler(handler)
    try:
        summary = APPS["leaks"].handler(event("leaks"), Context("leaks"))
    finally:
        package.removeHandler(handler)
    (line,) = [d for d in json_lines(stream.getvalue()) if isinstance(d.get("run"), dict)]
    assert line["level"] == "INFO" and line["message"].startswith("scan leaks:")
    assert APPS["leaks"].logger.name == "sentinelle"
    assert line["run"]["detector"] == "leaks" and line["run"]["findings"] == summary["findings"]
    assert line["run"]["new"] == summary["new"] and "could_not_check" in line["run"]


def test_a_second_run_records_no_duplicate(aws):
    APPS["impersonation"].handler(event("impersonation"), Context("impersonation"))
    count = len(incidents(aws))
    second = APPS["impersonation"].handler(event("impersonation"), Context("impersonation"))
    assert len(incidents(aws)) == count
    assert second["new"] == 0


def test_config_from_ssm(aws, monkeypatch, tmp_path):
    """The deployed layout: the configuration in SSM under /sentinelle/, the watchlist inline."""
    from aws_lambda_powertools.utilities import parameters

    config = yaml.safe_load((DEMO / "sentinelle.yaml").read_text())
    config["watchlist"] = yaml.safe_load((DEMO / "watchlist.yaml").read_text())
    for det in config["detectors"].values():
        for src in det.get("sources", []):
            if "path" in src:
                src["path"] = str(DEMO / src["path"])
    boto3.client("ssm").put_parameter(Name="/sentinelle/config-test", Type="String", Value=yaml.safe_dump(config))
    monkeypatch.setenv("SENTINELLE_CONFIG", "ssm:/sentinelle/config-test")
    parameters.clear_caches()
    summary = APPS["leaks"].handler(event("leaks"), Context("leaks"))
    parameters.clear_caches()
    assert summary["items_read"] > 0 and summary["could_not_check"] == []


def test_a_bad_configuration_fails_the_invocation(aws, monkeypatch, tmp_path):
    """A broken watchlist must page operations (the Errors alarm), not pass silently."""
    bad = tmp_path / "sentinelle.yaml"
    bad.write_text("watchlist: {organization: X, nonsense: 1}\n")
    monkeypatch.setenv("SENTINELLE_CONFIG", str(bad))
    with pytest.raises(Exception, match="nonsense"):
        APPS["scams"].handler(event("scams"), Context("scams"))


def test_scan_functions_import_heavy_modules_only_when_invoked():
    """Cold start (issue 8): the init phase loads powertools, not the store, sources or detectors."""
    import subprocess
    import sys

    code = ("import importlib.util, sys\n"
            "for i, path in enumerate(sys.argv[1:]):\n"
            "    spec = importlib.util.spec_from_file_location(f'app{i}', path)\n"
            "    spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
            "heavy = ['pynamodb', 'sentinelle.runner', 'sentinelle.detectors', 'sentinelle.store.dynamodb', 'httpx',"
            " 'sentinelle.sources', 'rapidfuzz', 'ahocorasick']\n"
            "print(','.join(m for m in heavy if m in sys.modules))\n")
    apps = [str(ROOT / "functions" / f"scan_{name}" / "app.py") for name in DETECTORS]
    out = subprocess.run([sys.executable, "-c", code, *apps], capture_output=True, text=True, timeout=120,
                         check=True).stdout.strip()
    assert out == "", f"the scan functions import at init: {out}"
