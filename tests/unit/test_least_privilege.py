"""Least privilege, measured: each function's IAM policy in template.yaml against the AWS calls it makes.

The policies are expanded with SAM's own policy templates (aws-sam-translator, a dependency of
cfn-lint), and the calls are recorded under moto by wrapping botocore's one API-call method, so
neither side is guessed: a policy that lacks an action the code calls fails, and so does one that
grants an action nobody calls.
"""

from __future__ import annotations

import importlib.util
import json
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import pytest
from aws_template import create_table, template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
pytestmark = [pytest.mark.skipif(not TEMPLATE.exists(), reason="template.yaml is not written yet"),
              pytest.mark.xdist_group("least_privilege")]  # one worker measures once (module fixture)

SCAN_FUNCTIONS = ("ScanScamsFunction", "ScanImpersonationFunction", "ScanLeaksFunction")
# Actions AWS only grants on "*" (no resource-level permissions), and why each function has them.
STAR_ONLY = {"ssm:DescribeParameters", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
             "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "textract:DetectDocumentText"}
# Granted but not exercised by the recorded runs, each with the reason it stays.
JUSTIFIED_UNUSED = {
    # SAM's SSMParameterReadPolicy template grants the three reads and DescribeParameters together.
    "ssm:DescribeParameters": "part of SAM's SSMParameterReadPolicy",
    "ssm:GetParameters": "part of SAM's SSMParameterReadPolicy",
    "ssm:GetParametersByPath": "part of SAM's SSMParameterReadPolicy",
    "ssm:GetParameter": "config (ssm:/sentinelle/...) and source secrets; the tests read a file config",
    # S3ReadPolicy exists only when ConfigBucket is set (an !If); the same template grants its five reads.
    "s3:GetObject": "config from s3:// (conditional)", "s3:ListBucket": "S3ReadPolicy (conditional)",
    "s3:GetBucketLocation": "S3ReadPolicy (conditional)", "s3:GetObjectVersion": "S3ReadPolicy (conditional)",
    "s3:GetLifecycleConfiguration": "S3ReadPolicy (conditional)",
    # Called only online for posts with pictures (scams, leaks); tests/unit/test_readers.py calls it under moto.
    "textract:DetectDocumentText": "pictures read by OCR on AWS (online runs of scams and leaks)",
    # Only with FanOut=Enabled (an !If); tests/functional/test_fanout.py queues units under moto.
    "sqs:SendMessage": "fan-out: the scan queues its work units (conditional)",
}



def render(value: Any, params: dict[str, str] | None = None) -> str:
    """An intrinsic as readable text: GetAtt T.Arn -> 'T.Arn', Sub placeholders filled from params."""
    params = params or {}
    if isinstance(value, str):
        out = value
        for k, v in params.items():
            out = out.replace("${" + k + "}", v)
        return out
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Ref":
            return params.get(arg, arg)
        if fn == "Fn::GetAtt":
            return ".".join(arg) if isinstance(arg, list) else str(arg)
        if fn == "Fn::Sub":
            if isinstance(arg, list):
                text, extra = arg
                return render(text, {**params, **{k: render(v, params) for k, v in extra.items()}})
            return render(arg, params).replace("${", "").replace("}", "")
    return json.dumps(value, sort_keys=True)


@lru_cache(maxsize=1)
def sam_templates() -> dict[str, Any]:
    samtranslator = pytest.importorskip("samtranslator", reason="aws-sam-translator (from cfn-lint) is not installed")
    path = Path(samtranslator.__file__).parent / "policy_templates_data" / "policy_templates.json"
    return json.loads(path.read_text())["Templates"]


def effective_statements(function: str) -> list[dict[str, Any]]:
    """Every statement a function's role gets: inline ones and SAM templates expanded (both !If branches
    counted as granted), each as {"actions", "resources", "condition", "conditional"}."""
    fn = template()["Resources"][function]
    out = []
    for policy in fn["Properties"].get("Policies", []):
        conditional = False
        if isinstance(policy, dict) and "Fn::If" in policy:
            conditional, policy = True, policy["Fn::If"][1]
        assert not isinstance(policy, str), f"{function}: managed policy {policy!r} is broader than needed"
        if "Statement" in policy:
            statements, params = policy["Statement"], {}
        else:
            (name, args), = policy.items()
            statements = sam_templates()[name]["Definition"]["Statement"]
            params = {k: render(v) for k, v in (args or {}).items()}
        for s in statements:
            assert s.get("Effect", "Allow") == "Allow"
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            res = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
            out.append({"actions": set(actions), "resources": [render(r, params) for r in res],
                        "condition": s.get("Condition"), "conditional": conditional})
    return out


def granted(function: str) -> set[str]:
    return {a for s in effective_statements(function) for a in s["actions"]}


# --------------------------------------------------------------------------- static properties

@pytest.mark.parametrize("function", [*SCAN_FUNCTIONS, "WorkerFunction", "ApiFunction", "AlertFunction"])
def test_no_wildcard_actions_and_star_resources_only_where_aws_requires(function: str) -> None:
    for s in effective_statements(function):
        assert not any("*" in a for a in s["actions"]), s
        if "*" in s["resources"]:
            assert s["actions"] <= STAR_ONLY, f"{function}: {s['actions'] - STAR_ONLY} on every resource"


@pytest.mark.parametrize("function", [*SCAN_FUNCTIONS, "WorkerFunction"])  # the worker runs scan units
def test_scan_functions_reach_only_the_table_ssm_path_and_config_bucket(function: str) -> None:
    for s in effective_statements(function):
        services = {a.split(":")[0] for a in s["actions"]}
        if services == {"dynamodb"}:
            assert s["resources"] == ["IncidentTable.Arn", "IncidentTable.Arn/index/*"]
            assert not s["actions"] & {"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:DeleteTable"}
        elif services == {"ssm"}:
            assert all(r == "*" or r.endswith(":parameter/sentinelle/*") for r in s["resources"]), s
            assert s["actions"] <= {"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
                                    "ssm:DescribeParameters"}
        elif services == {"secretsmanager"}:
            assert s["actions"] == {"secretsmanager:GetSecretValue"}
            assert all(r.endswith(":secret:sentinelle/*") for r in s["resources"]), s
        elif services == {"s3"}:
            assert s["conditional"], "S3 only when a config bucket is given"
            assert all("ConfigBucket" in r for r in s["resources"])
            assert not any(a.startswith(("s3:Put", "s3:Delete")) for a in s["actions"])
        elif services == {"sqs"}:  # fan-out: queue work units, on the work queue only
            assert s["conditional"] and s["actions"] == {"sqs:SendMessage"} and s["resources"] == ["WorkQueue.Arn"]
        elif services == {"textract"}:  # pictures read by OCR: only the detectors that read posts
            assert s["actions"] == {"textract:DetectDocumentText"} and function != "ScanImpersonationFunction"
        else:
            pytest.fail(f"{function}: unexpected services {services}")


def test_api_function_reads_and_triages_the_table_only() -> None:
    for s in effective_statements("ApiFunction"):
        services = {a.split(":")[0] for a in s["actions"]}
        assert services in ({"dynamodb"}, {"ssm"}, {"secretsmanager"}), s
        if services == {"dynamodb"}:
            assert s["resources"] == ["IncidentTable.Arn", "IncidentTable.Arn/index/*"]
            assert "dynamodb:Scan" not in s["actions"]
        elif services == {"secretsmanager"}:
            assert all(r.endswith(":secret:sentinelle/*") for r in s["resources"]), s
        else:
            assert all(r == "*" or r.endswith(":parameter/sentinelle/*") for r in s["resources"])


def test_alert_function_publishes_to_its_topic_and_writes_only_idempotency_keys() -> None:
    statements = effective_statements("AlertFunction")
    sns = [s for s in statements if any(a.startswith("sns:") for a in s["actions"])]
    assert [s["actions"] for s in sns] == [{"sns:Publish"}]
    assert all(r.endswith(":AlertTopic.TopicName") for r in sns[0]["resources"])
    (table,) = [s for s in statements if any(a.startswith("dynamodb:") for a in s["actions"])]
    assert table["resources"] == ["IncidentTable.Arn"]  # no index: it never queries incidents
    assert table["condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["IDEMPOTENCY#*"]}}
    assert "dynamodb:Query" not in table["actions"] and "dynamodb:Scan" not in table["actions"]


def test_data_at_rest_is_encrypted() -> None:
    res = template()["Resources"]
    assert res["IncidentTable"]["Properties"]["SSESpecification"]["SSEEnabled"] is True
    assert res["AlertTopic"]["Properties"].get("KmsMasterKeyId"), "incident alerts travel through an encrypted topic"
    assert res["AlertDeadLetterQueue"]["Properties"].get("SqsManagedSseEnabled") or \
        res["AlertDeadLetterQueue"]["Properties"].get("KmsMasterKeyId")
    # PITR: a mistaken triage or a bad deploy can be rolled back.
    assert res["IncidentTable"]["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]


def test_every_route_but_health_requires_the_authorizer() -> None:
    paths = template()["Resources"]["HttpApi"]["Properties"]["DefinitionBody"]["paths"]
    for path, methods in paths.items():
        for method, op in methods.items():
            if path == "/health":
                assert "security" not in op
            else:
                assert op.get("security"), f"{method.upper()} {path} has no authorizer"


def test_no_function_holds_secrets_in_its_environment() -> None:
    for name, res in template()["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        env = (res["Properties"].get("Environment") or {}).get("Variables") or {}
        for key, value in env.items():
            assert not any(w in key.upper() for w in ("TOKEN", "PASSWORD", "SECRET_KEY", "API_KEY")) or \
                key.endswith("_PREFIX"), f"{name}: {key} looks like a secret in plain environment"
            assert "NoEcho" not in json.dumps(value)


# ---------------------------------------------------------------- measured: what the code calls

@contextmanager
def recording() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every AWS call made through botocore (boto3 and pynamodb alike), as ('service:Operation', params)."""
    from botocore.client import BaseClient

    calls: list[tuple[str, dict[str, Any]]] = []
    original = BaseClient._make_api_call

    def spy(self: Any, operation: str, params: dict[str, Any]) -> Any:
        calls.append((f"{self.meta.service_model.signing_name}:{operation}", params))
        return original(self, operation, params)

    BaseClient._make_api_call = spy  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def load_lambda(folder: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"lp_{folder}_app", ROOT / "functions" / folder / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


class LambdaContext:
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    aws_request_id = "8f5b6c1a-0000-4000-8000-00000000abcd"
    log_group_name = "/aws/lambda/fn"
    log_stream_name = "2026/11/28/[$LATEST]0000"

    def __init__(self, name: str):
        self.function_name = name
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-3:123456789012:function:{name}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


TABLE = "sentinelle-least-privilege"
Calls = list[tuple[str, dict[str, Any]]]


def _forget_checkpoints(ddb: Any) -> None:
    for item in ddb.scan(TableName=TABLE)["Items"]:
        if item["pk"]["S"].startswith("CP#"):
            ddb.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})


def _scan_calls(ddb: Any) -> Calls:
    calls: Calls = []
    for fn, folder in zip(SCAN_FUNCTIONS, ("scan_scams", "scan_impersonation", "scan_leaks")):
        app = load_lambda(folder)
        for _ in range(2):  # the second run re-reads the same items: repeats, not creations
            with recording() as made:
                app.handler({}, LambdaContext(fn))
            calls += made
            _forget_checkpoints(ddb)
    return calls


def _api_calls() -> Calls:
    events = {p.stem: json.loads(p.read_text()) for p in (ROOT / "events").glob("api_*.json")}
    app = load_lambda("api")  # a fresh module: its cold start reads the cursor key too
    with recording() as calls:
        listing = app.handler(events["api_list_incidents"], LambdaContext("ApiFunction"))
        incident = json.loads(listing["body"])["items"][0]["id"]
        for ev in events.values():
            app.handler(json.loads(json.dumps(ev).replace("4f7c0e2a9b1d3c5e7f901234", incident)),
                        LambdaContext("ApiFunction"))
    return calls


def _alert_calls(ddb: Any) -> Calls:
    # The stream records of the table's first incident writes (INSERT, the new image, `last_change` new).
    items = [{**i, "last_change": {"S": "new"}} for i in ddb.scan(TableName=TABLE)["Items"]
             if i["pk"]["S"].startswith("INC#")]
    assert items, "the scans wrote no incident"
    event = {"Records": [
        {"eventID": str(n), "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
         "awsRegion": "eu-west-3",
         "eventSourceARN": f"arn:aws:dynamodb:eu-west-3:123456789012:table/{TABLE}/stream/2026-11-28T00:00:00.000",
         "dynamodb": {"Keys": {"pk": i["pk"], "sk": i["sk"]}, "NewImage": i, "SequenceNumber": f"{n:024d}",
                      "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES"}}
        for n, i in enumerate(items, 1)]}
    app = load_lambda("alert")
    with recording() as calls:
        app.handler(event, LambdaContext("AlertFunction"))
    return calls


@pytest.fixture(scope="module")
def measured() -> Iterator[dict[str, Any]]:
    """One moto account: the three scans run twice, then the API events, then the alert function
    over the incidents the scans wrote. Answers each function's recorded calls."""
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters import base as parameters_base

    from sentinelle.lambdas import get_store

    # A secrets provider cached by an earlier test in this worker would read another account.
    parameters.clear_caches()
    parameters_base.DEFAULT_PROVIDERS.clear()
    with moto.mock_aws(), pytest.MonkeyPatch.context() as mp:
        ddb = boto3.client("dynamodb")
        create_table(ddb, TABLE)
        topic = boto3.client("sns").create_topic(Name="sentinelle-alerts")["TopicArn"]
        boto3.client("secretsmanager").create_secret(Name="sentinelle/lp/hash-key", SecretString="h" * 64)
        mp.setenv("SENTINELLE_HASH_KEY_SECRET", "sentinelle/lp/hash-key")
        mp.setenv("SENTINELLE_TABLE", TABLE)
        mp.setenv("SENTINELLE_CONFIG", str(ROOT / "examples" / "demo" / "sentinelle.yaml"))
        mp.setenv("SENTINELLE_TOPIC_ARN", topic)
        mp.setenv("SENTINELLE_API_URL", "https://api.example.test")
        get_store.cache_clear()
        try:
            yield {"scan": _scan_calls(ddb), "api": _api_calls(), "alert": _alert_calls(ddb), "topic": topic}
        finally:
            get_store.cache_clear()


def test_scan_functions_call_only_what_they_are_granted(measured: dict[str, Any]) -> None:
    used = {c for c, _ in measured["scan"]}
    assert "dynamodb:PutItem" in used or "dynamodb:TransactWriteItems" in used, "the scans recorded nothing"
    for fn in (*SCAN_FUNCTIONS, "WorkerFunction"):  # the worker makes the scans' calls, one unit at a time
        missing = used - granted(fn)
        assert not missing, f"{fn} calls {missing} but its policy does not allow it"


def test_scan_functions_are_granted_nothing_they_do_not_call(measured: dict[str, Any]) -> None:
    used = {c for c, _ in measured["scan"]}
    for fn in SCAN_FUNCTIONS:
        unused = granted(fn) - used - set(JUSTIFIED_UNUSED)
        assert not unused, f"{fn} is granted {unused} but never calls it"


def test_api_function_calls_only_what_it_is_granted(measured: dict[str, Any]) -> None:
    used = {c for c, _ in measured["api"]}
    assert "dynamodb:Query" in used
    missing = used - granted("ApiFunction")
    assert not missing, f"ApiFunction calls {missing} but its policy does not allow it"


def test_alert_function_calls_only_what_it_is_granted_on_idempotency_keys(measured: dict[str, Any]) -> None:
    calls = measured["alert"]
    used = {c for c, _ in calls}
    assert "sns:Publish" in used
    assert not used - granted("AlertFunction"), used - granted("AlertFunction")
    for call, params in calls:
        if call.startswith("dynamodb:"):
            key = params.get("Key") or params.get("Item") or {}
            assert key["pk"]["S"].startswith("IDEMPOTENCY#"), f"{call} on {key['pk']} is outside LeadingKeys"
        if call == "sns:Publish":
            assert params["TopicArn"] == measured["topic"]
