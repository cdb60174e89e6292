"""template.yaml: it lints, it matches the code (detectors, table model, metrics), and it grants only what is used."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from aws_template import template

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
SCAN_DYNAMODB_ACTIONS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
                         "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"}



def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template()["Resources"].items() if v["Type"] == kind}


def functions() -> dict[str, dict[str, Any]]:
    return resources("AWS::Serverless::Function")


def logical_id(detector: str) -> str:
    return "Scan" + "".join(p.title() for p in detector.split("_")) + "Function"


def detectors() -> list[str]:
    from sentinelle.detectors import registry

    return sorted(registry())


def statements(fn: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for policy in fn["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            out.extend(policy["Statement"])
    return out


def named_policies(fn: dict[str, Any]) -> dict[str, Any]:
    """SAM policy templates of a function (those under an !If included)."""
    out: dict[str, Any] = {}
    for policy in fn["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Fn::If" in policy:
            policy = policy["Fn::If"][1]
        if isinstance(policy, dict) and "Statement" not in policy:
            out.update(policy)
    return out


# ------------------------------------------------------------------------------------- linting

def lint(path: Path) -> list[str]:
    """cfn-lint's findings on a template, errors, warnings and informational alike."""
    api = pytest.importorskip("cfnlint.api", reason="cfn-lint is not installed")
    return [f"{m.rule.id} {m.message} ({m.filename}:{m.linenumber})" for m in api.lint_file(Path(path))]


def test_cfn_lint_passes():
    assert lint(TEMPLATE) == []


def test_sam_translation_lints(tmp_path, monkeypatch):
    """The template as CloudFormation sees it after the SAM transform (catches what schemas cannot)."""
    pytest.importorskip("samtranslator", reason="aws-sam-translator is not installed")
    from samtranslator.translator.transform import transform

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    tpl = json.loads(json.dumps(template()))
    for res in tpl["Resources"].values():  # what `sam package` does to local code folders
        props = res.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = "s3://sentinelle-artifacts/" + props[key].strip("/")

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    out = transform(tpl, {}, NoManagedPolicies())
    path = tmp_path / "translated.json"
    path.write_text(json.dumps(out))
    assert lint(path) == []
    mappings = [r for r in out["Resources"].values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    stream = [m for m in mappings if "StreamArn" in json.dumps(m["Properties"]["EventSourceArn"])]
    assert len(stream) == 1 and stream[0]["Properties"]["FilterCriteria"]
    (work,) = [m for m in mappings if m not in stream]  # the worker's queue (fan-out)
    props = work["Properties"]
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["WorkQueue", "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and props["BatchSize"] == 1
    assert props["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "WorkerConcurrency"}}
    rules = [r for r in out["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    assert len(rules) == len(detectors())


# ------------------------------------------------------------------- the template matches the code

def test_table_matches_the_pynamodb_model():
    from sentinelle.store.dynamodb import cloudformation_properties

    table = resources("AWS::DynamoDB::Table")["IncidentTable"]["Properties"]
    want = cloudformation_properties()

    def keys(ks: list[dict[str, str]]) -> list[dict[str, str]]:
        return sorted(ks, key=lambda k: k["KeyType"])

    assert table["BillingMode"] == want["BillingMode"] == "PAY_PER_REQUEST"
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == want["AttributeDefinitions"]
    assert keys(table["KeySchema"]) == want["KeySchema"]
    got_gsis = sorted(({"IndexName": g["IndexName"], "KeySchema": keys(g["KeySchema"]), "Projection": g["Projection"]}
                       for g in table["GlobalSecondaryIndexes"]), key=lambda g: g["IndexName"])
    assert got_gsis == want["GlobalSecondaryIndexes"]
    assert {g["IndexName"] for g in got_gsis} == {"by_status", "by_detector", "by_recent"}
    assert table["StreamSpecification"] == want["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["TimeToLiveSpecification"] == want["TimeToLiveSpecification"]
    assert table["SSESpecification"] == {"SSEEnabled": True}


def test_source_error_alarms_match_the_metrics_the_scans_emit():
    alarms = [a["Properties"] for a in resources("AWS::CloudWatch::Alarm").values()
              if a["Properties"]["MetricName"] == "SourceErrors"]
    assert sorted(d["Value"] for a in alarms for d in a["Dimensions"]) == detectors()
    for a in alarms:
        assert a["Namespace"] == template()["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
        assert [d["Name"] for d in a["Dimensions"]] == ["Detector"]


def test_unreadable_stream_records_alarm_matches_the_alert_function_metric():
    (alarm,) = [a["Properties"] for a in resources("AWS::CloudWatch::Alarm").values()
                if a["Properties"]["MetricName"] == "UnreadableRecords"]
    env = template()["Globals"]["Function"]["Environment"]["Variables"]
    # The alert function's Metrics() keeps powertools' default `service` dimension.
    assert alarm["Dimensions"] == [{"Name": "service", "Value": env["POWERTOOLS_SERVICE_NAME"]}]
    assert alarm["Namespace"] == env["POWERTOOLS_METRICS_NAMESPACE"]
    assert 'name="UnreadableRecords"' in (ROOT / "functions" / "alert" / "app.py").read_text()


def test_every_function_has_an_error_alarm_and_a_log_group():
    alarmed = {a["Properties"]["Dimensions"][0]["Value"]["Ref"] for a in resources("AWS::CloudWatch::Alarm").values()
               if a["Properties"]["MetricName"] == "Errors"}
    assert alarmed == set(functions())
    logged = {lg["Properties"]["LogGroupName"]["Fn::Sub"].split("${")[1].rstrip("}")
              for lg in resources("AWS::Logs::LogGroup").values()}
    assert logged == set(functions())
    for lg in resources("AWS::Logs::LogGroup").values():
        assert lg["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


# ---------------------------------------------------------------------------- least privilege

def _resources_of(stmt: dict[str, Any]) -> list[Any]:
    res = stmt["Resource"]
    return res if isinstance(res, list) else [res]


@pytest.mark.parametrize("name", detectors())
def test_scan_functions_get_only_what_they_use(name):
    fn = functions()[logical_id(name)]
    dynamo = [s for s in statements(fn) if any(a.startswith("dynamodb:") for a in s["Action"])]
    assert dynamo and all(set(s["Action"]) <= SCAN_DYNAMODB_ACTIONS for s in dynamo), "no Scan, no Delete"
    for s in dynamo:
        assert _resources_of(s) == [{"Fn::GetAtt": ["IncidentTable", "Arn"]}, {"Fn::Sub": "${IncidentTable.Arn}/index/*"}]
    assert all(not a.endswith("*") for s in statements(fn) for a in s["Action"])
    policies = named_policies(fn)
    assert set(policies) <= {"SSMParameterReadPolicy", "S3ReadPolicy", "AWSSecretsManagerGetSecretValuePolicy"}
    assert policies["SSMParameterReadPolicy"] == {"ParameterName": "sentinelle/*"}
    assert policies["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"]["Fn::Sub"].endswith(":secret:sentinelle/*")
    assert policies["S3ReadPolicy"] == {"BucketName": {"Ref": "ConfigBucket"}}
    env = fn["Properties"]["Environment"]["Variables"]
    assert env["SENTINELLE_CONFIG"] == {"Ref": "ConfigLocation"}
    # Source credentials are read under the path the SSM policy grants.
    assert env["SENTINELLE_SECRETS_PREFIX"] == "/sentinelle"


def test_api_function_reads_and_triages_without_scans():
    fn = functions()["ApiFunction"]
    actions = {a for s in statements(fn) for a in s["Action"]}
    assert "dynamodb:Query" in actions and "dynamodb:UpdateItem" in actions
    assert "dynamodb:Scan" not in actions and not any(a.endswith("*") for a in actions)
    assert set(named_policies(fn)) <= {"SSMParameterReadPolicy", "AWSSecretsManagerGetSecretValuePolicy"}


def test_alert_function_publishes_reads_its_config_and_writes_idempotency_records_only():
    fn = functions()["AlertFunction"]
    assert named_policies(fn) == {"SNSPublishMessagePolicy": {"TopicName": {"Fn::GetAtt": ["AlertTopic", "TopicName"]}},
                                  # the watchlist's thresholds, from the same configuration as the scans
                                  "SSMParameterReadPolicy": {"ParameterName": "sentinelle/*"},
                                  "S3ReadPolicy": {"BucketName": {"Ref": "ConfigBucket"}}}
    stmt, campaigns = statements(fn)
    assert set(stmt["Action"]) == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    assert stmt["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["IDEMPOTENCY#*"]}}
    assert campaigns["Action"] == ["dynamodb:GetItem"]  # which campaign an incident joined, read only
    env = fn["Properties"]["Environment"]["Variables"]
    assert env["SENTINELLE_TOPIC_ARN"] == {"Ref": "AlertTopic"}
    assert env["SENTINELLE_CONFIG"] == {"Ref": "ConfigLocation"}
    assert "SENTINELLE_HASH_KEY_SECRET" not in env  # it hashes nothing: only the scans get the key


# ------------------------------------------------------------------------- alerts wiring

def _stream_event() -> dict[str, Any]:
    (event,) = [e for e in functions()["AlertFunction"]["Properties"]["Events"].values() if e["Type"] == "DynamoDB"]
    return event["Properties"]


def _matches(pattern: Any, value: Any) -> bool:
    """The part of EventBridge/Lambda filter patterns the template uses: nesting, values, prefix."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and _matches(p, value[k]) for k, p in pattern.items())
    return any((isinstance(p, dict) and isinstance(value, str) and value.startswith(p["prefix"])) or p == value
               for p in pattern)


def test_stream_filter_lets_only_incident_writes_through():
    props = _stream_event()
    (flt,) = props["FilterCriteria"]["Filters"]
    pattern = json.loads(flt["Pattern"])
    sample = json.loads((ROOT / "events" / "alert_stream.json").read_text())["Records"]
    assert sample and all(_matches(pattern, r) for r in sample)
    other = json.loads(json.dumps(sample[0]))
    for pk in ("CP#mastodon", "ALLOW", "IDEMPOTENCY#alert"):
        other["dynamodb"]["Keys"]["pk"]["S"] = pk
        assert not _matches(pattern, other), pk
    removed = json.loads(json.dumps(sample[0]))
    removed["eventName"] = "REMOVE"  # TTL expiry of a closed incident alerts no one
    assert not _matches(pattern, removed)


def test_stream_event_retries_then_dead_letters():
    props = _stream_event()
    assert props["Stream"] == {"Fn::GetAtt": ["IncidentTable", "StreamArn"]}
    assert props["BisectBatchOnFunctionError"] is True
    assert 0 < props["MaximumRetryAttempts"] <= 10
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["DestinationConfig"]["OnFailure"] == {"Type": "SQS",
                                                       "Destination": {"Fn::GetAtt": ["AlertDeadLetterQueue", "Arn"]}}
    # Idempotency records must outlive every retry of a record.
    app = (ROOT / "functions" / "alert" / "app.py").read_text()
    assert "expires_after_seconds=24 * 3600" in app and props["MaximumRecordAgeInSeconds"] <= 24 * 3600


def test_subscriptions_filter_on_the_channels_the_alert_policy_chose():
    """No severity is written in the template: the watchlist's thresholds decide, through the
    `channels` attribute the alert function sets (sentinelle.alerting.channels)."""
    subs = {k: v for k, v in resources("AWS::SNS::Subscription").items() if v["Properties"]["TopicArn"] == {"Ref": "AlertTopic"}}
    teams = {k: subs.pop(k) for k in list(subs) if k.startswith("Team")}
    by_protocol = {v["Properties"]["Protocol"]: v for v in subs.values()}
    assert by_protocol["email"]["Properties"]["FilterPolicy"] == {"channels": ["alert"]}
    assert by_protocol["sms"]["Properties"]["FilterPolicy"] == {"channels": ["sms"]}
    assert by_protocol["https"]["Properties"]["FilterPolicy"] == {"channels": ["alert"]}
    assert {v.get("Condition") for v in subs.values()} == {"HasAlertEmail", "HasAlertPhone", "HasWebhook"}
    for v in subs.values():
        assert v["Properties"]["FilterPolicyScope"] == "MessageAttributes"
    # Each team slot subscribes its e-mail with a filter on the `team` attribute (sentinelle.alerting.teams).
    assert sorted(teams) == ["Team1EmailSubscription", "Team2EmailSubscription", "Team3EmailSubscription"]
    for n, (_name, v) in enumerate(sorted(teams.items()), 1):
        assert v["Condition"] == f"HasTeam{n}" and v["Properties"]["Protocol"] == "email"
        assert v["Properties"]["FilterPolicy"] == {"team": [{"Ref": f"Team{n}"}]}
        assert v["Properties"]["FilterPolicyScope"] == "MessageAttributes"
    assert resources("AWS::SNS::Topic")["AlertTopic"]["Properties"]["KmsMasterKeyId"] == "alias/aws/sns"


def test_the_hash_key_is_a_generated_secret_given_to_the_scans_only():
    secret = resources("AWS::SecretsManager::Secret")["HashKeySecret"]
    assert secret["DeletionPolicy"] == "Retain" and secret["UpdateReplacePolicy"] == "Retain"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    assert secret["Properties"]["Name"]["Fn::Sub"].startswith("sentinelle/")  # the scans' secret policy path
    for name, fn in functions().items():
        env = fn["Properties"].get("Environment", {}).get("Variables", {})
        if name.startswith("Scan") or name == "WorkerFunction":  # the worker runs scan units
            assert env["SENTINELLE_HASH_KEY_SECRET"] == {"Ref": "HashKeySecret"}, name
        else:
            assert "SENTINELLE_HASH_KEY_SECRET" not in env, name
    outputs = json.dumps(template().get("Outputs", {}))
    assert "HashKeySecret" not in outputs


# ------------------------------------------------------------------------------------ the API

def test_api_auth_is_chosen_by_parameter_and_health_is_open():
    params = template()["Parameters"]
    assert params["AuthMode"]["AllowedValues"] == ["IAM", "JWT"]
    assert {"JwtIssuer", "JwtAudience"} <= set(params)
    body = resources("AWS::Serverless::HttpApi")["HttpApi"]["Properties"]["DefinitionBody"]
    secured = {"Fn::If": ["UseJwt", [{"jwt": []}], [{"sigv4": []}]]}
    for path, methods in body["paths"].items():
        for method, op in methods.items():
            if path == "/health":
                assert "security" not in op, "/health answers without credentials"
            else:
                assert op["security"] == secured, f"{method} {path} must require IAM or JWT"
    assert body.get("security") is None  # no global default that /health would inherit


def test_api_routes_in_the_template_are_the_api_routes():
    """A route the API serves but the gateway lacks answers 404 in AWS only: keep them in step."""
    from sentinelle.api.app import create_app, openapi_document
    from sentinelle.api.auth import gateway_authorizer

    doc = openapi_document(create_app(None, auth=gateway_authorizer, cursor_key=b"k" * 32))  # type: ignore[arg-type]
    served = {(path, method) for path, ops in doc["paths"].items() for method in ops} | {("/openapi.json", "get")}
    body = resources("AWS::Serverless::HttpApi")["HttpApi"]["Properties"]["DefinitionBody"]
    routed = {(path, method) for path, ops in body["paths"].items() for method in ops}
    assert routed == served
    for path in ("/incidents", "/incidents/{incident_id}", "/openapi.json", "/health"):
        assert path in body["paths"], f"{path} (run-serve-api.md)"


def test_api_function_gets_the_cursor_key_parameter_it_may_read():
    fn = functions()["ApiFunction"]
    assert fn["Properties"]["Environment"]["Variables"]["SENTINELLE_CURSOR_KEY_PARAM"] == {"Ref": "CursorKeyParameter"}
    assert template()["Parameters"]["CursorKeyParameter"]["AllowedPattern"] == "^$|^/sentinelle/.+"
    assert named_policies(fn)["SSMParameterReadPolicy"] == {"ParameterName": "sentinelle/*"}


def test_outputs_name_the_api_topic_and_table():
    outputs = template()["Outputs"]
    assert {"ApiUrl", "AlertTopicArn", "IncidentTableName"} <= set(outputs)


def test_globals_set_the_runtime_and_the_environment():
    g = template()["Globals"]["Function"]
    assert g["Runtime"] == "python3.12" and g["Tracing"] == "Active"
    assert set(g["Environment"]["Variables"]) >= {"SENTINELLE_TABLE", "POWERTOOLS_SERVICE_NAME",
                                                  "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"}
    layer = resources("AWS::Serverless::LayerVersion")["SentinelleLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/sentinelle/"
    assert layer["Metadata"]["BuildMethod"] == "makefile"  # imagehash without scipy: see the layer's Makefile
    makefile = (ROOT / "layers" / "sentinelle" / "Makefile").read_text()
    assert "build-SentinelleLayer:" in makefile and "--no-deps -r requirements-nodeps.txt" in makefile
    assert "--python-version $(LAYER_PYTHON)" in makefile and "LAYER_PYTHON ?= 3.12" in makefile
    assert "LAYER_PLATFORM ?= manylinux2014_aarch64" in makefile


@pytest.mark.skipif(shutil.which("sam") is None, reason="the SAM CLI is not installed")
def test_sam_validate():  # pragma: no cover - only where the SAM CLI exists
    proc = subprocess.run(["sam", "validate", "--lint"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_samconfig_deploys_this_template_with_valid_parameters():
    import shlex
    import tomllib

    cfg = tomllib.loads((ROOT / "samconfig.toml").read_text())
    deploy = cfg["default"]["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM" and deploy["resolve_s3"] is True
    params = template()["Parameters"]
    for pair in shlex.split(deploy["parameter_overrides"]):
        name, _, value = pair.partition("=")
        assert name in params, f"samconfig.toml overrides unknown parameter {name}"
        allowed = params[name].get("AllowedValues")
        assert allowed is None or value in [str(a) for a in allowed], f"{name}={value}"
    env = json.loads((ROOT / cfg["default"]["local_invoke"]["parameters"]["env_vars"]).read_text())
    assert "SENTINELLE_TABLE" in env["Parameters"]


def test_work_units_retry_then_dead_letter_and_the_dead_letters_alarm():
    res = template()["Resources"]
    queue = res["WorkQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["WorkDeadLetterQueue", "Arn"]}
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 2
    assert queue["VisibilityTimeout"] >= 6 * res["WorkerFunction"]["Properties"]["Timeout"]
    alarms = [a["Properties"] for a in resources("AWS::CloudWatch::Alarm").values()
              if a["Properties"]["Namespace"] == "AWS/SQS"]
    assert {"Fn::GetAtt": ["WorkDeadLetterQueue", "QueueName"]} in [a["Dimensions"][0]["Value"] for a in alarms]
    for name in ("ScanScamsFunction", "ScanImpersonationFunction", "ScanLeaksFunction"):
        env = res[name]["Properties"]["Environment"]["Variables"]
        assert env["SENTINELLE_WORK_QUEUE_URL"] == {"Fn::If": ["UseFanOut", {"Ref": "WorkQueue"}, {"Ref": "AWS::NoValue"}]}


def test_the_work_queue_and_its_dead_letter_queue_are_fifo_with_ids_from_the_scan():
    """Per-platform limits are the work queue's message groups: both queues FIFO (a FIFO queue's
    dead-letter queue must be), deduplication by the id the scan sends, names left to CloudFormation."""
    res = template()["Resources"]
    for name in ("WorkQueue", "WorkDeadLetterQueue"):
        props = res[name]["Properties"]
        assert props["FifoQueue"] is True and props["ContentBasedDeduplication"] is False
        assert "QueueName" not in props
    assert "MaximumBatchingWindowInSeconds" not in res["WorkerFunction"]["Properties"]["Events"]["WorkUnits"][
        "Properties"]  # FIFO event sources do not take one
