"""The Lambda `api` function: the sample events in events/ through the handler, on SQLite and on
DynamoDB (moto), with API Gateway's authorizer context as the identity."""

from __future__ import annotations

import copy
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from api_helpers import seed
from moto import mock_aws

from sentinelle.api.app import create_app
from sentinelle.api.auth import gateway_authorizer

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "events"


def _load_function():
    spec = importlib.util.spec_from_file_location("sentinelle_api_function", ROOT / "functions" / "api" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FUNCTION = _load_function()
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


@dataclass
class LambdaContext:
    function_name: str = "sentinelle-api"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-3:123456789012:function:sentinelle-api"
    aws_request_id: str = "f4c1c0de-0000-4000-8000-000000000000"


@pytest.fixture(autouse=True)
def _clear_metrics():
    yield
    FUNCTION.metrics.clear_metrics()


def event(name: str, incident_id: str | None = None, **changes) -> dict:
    data = json.loads((EVENTS / f"{name}.json").read_text())
    if incident_id:
        for key in ("rawPath",):
            data[key] = data[key].replace("4f7c0e2a9b1d3c5e7f901234", incident_id)
        data["requestContext"]["http"]["path"] = data["rawPath"]
    data.update(changes)
    return data


def call(e: dict) -> tuple[int, dict | None]:
    out = FUNCTION.handler(e, LambdaContext())
    return out["statusCode"], json.loads(out["body"]) if out.get("body") else None


@pytest.fixture(params=["sqlite", "dynamodb"])
def backend(request, store, monkeypatch):
    """The store the function works on, behind its handler."""
    if request.param == "sqlite":
        target = store
        monkeypatch.setattr(FUNCTION, "get_app", lambda: create_app(target, auth=gateway_authorizer,
                                                                     cursor_key=b"handler-test-key"))
        yield target
        return
    from sentinelle.store.dynamodb import DynamoDBStore, create_table

    monkeypatch.setenv("SENTINELLE_TABLE", "sentinelle-api-test")
    monkeypatch.setenv("SENTINELLE_CURSOR_KEY", "handler-test-key")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        create_table("sentinelle-api-test")
        FUNCTION.get_app.cache_clear()
        yield DynamoDBStore("sentinelle-api-test")
        FUNCTION.get_app.cache_clear()


def test_cursor_key_from_the_ssm_parameter(monkeypatch):
    import boto3

    monkeypatch.setenv("SENTINELLE_CURSOR_KEY_PARAM", "/sentinelle/cursor-key")
    with mock_aws():
        boto3.client("ssm").put_parameter(Name="/sentinelle/cursor-key", Value="from-ssm", Type="SecureString")
        assert FUNCTION.cursor_key() == b"from-ssm"
    monkeypatch.delenv("SENTINELLE_CURSOR_KEY_PARAM")
    monkeypatch.delenv("SENTINELLE_CURSOR_KEY", raising=False)
    monkeypatch.delenv("SENTINELLE_SECRETS_PREFIX", raising=False)
    monkeypatch.setenv("SENTINELLE_TABLE", "some-table")
    assert FUNCTION.cursor_key() == FUNCTION.derive_key("some-table")  # predictable, and logged as such
    monkeypatch.setenv("SENTINELLE_CURSOR_KEY", "from-env")
    assert FUNCTION.cursor_key() == b"from-env"


def test_health_event(backend):
    assert call(event("api_health")) == (200, {"status": "ok"})


def test_list_event(backend):
    ids = seed(backend, 12)
    status, body = call(event("api_list_incidents"))
    assert status == 200
    assert body["items"] and all(i["status"] == "open" and i["severity"] in ("medium", "high", "critical")
                                 for i in body["items"])
    assert {i["id"] for i in body["items"]} <= set(ids)


def test_list_pages_through_all(backend):
    ids = seed(backend, 9)
    seen, cursor = [], None
    while True:
        query = {"limit": "4", **({"cursor": cursor} if cursor else {})}
        status, body = call(event("api_list_incidents", queryStringParameters=query,
                                  rawQueryString="&".join(f"{k}={v}" for k, v in query.items())))
        assert status == 200, body
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ids


def test_bad_cursor_event_is_400(backend):
    seed(backend, 3)
    status, body = call(event("api_list_incidents", queryStringParameters={"cursor": "eyJwIjp7fX0.AAAA"}))
    assert status == 400 and body["error"] == "invalid cursor"


def test_get_event(backend):
    ids = seed(backend, 2)
    status, body = call(event("api_get_incident", ids[0]))
    assert status == 200
    assert body["id"] == ids[0] and body["findings"] and body["history"]
    assert body["playbook"]["title"]


def test_unknown_id_event_is_404(backend):
    status, body = call(event("api_get_incident"))
    assert status == 404 and body["error"] == "not found"


def test_patch_event_records_the_jwt_subject(backend):
    ids = seed(backend, 2)
    status, body = call(event("api_patch_incident", ids[1]))
    assert status == 200
    last = body["history"][-1]
    assert (body["status"], body["assignee"]) == ("acknowledged", "soc-oncall")
    assert last["by"] == "jwt:3f1c2a9e-analyst" and last["note"] == "looking into it"


def test_patch_event_with_iam_caller(backend):
    ids = seed(backend, 1)
    e = event("api_patch_incident", ids[0])
    e["requestContext"]["authorizer"] = {"iam": {"accessKey": "ASIAEXAMPLE", "accountId": "123456789012",
                                                 "userArn": "arn:aws:sts::123456789012:assumed-role/soc/alice",
                                                 "userId": "AROAEXAMPLE:alice"}}
    status, body = call(e)
    assert status == 200 and body["history"][-1]["by"] == "arn:aws:sts::123456789012:assumed-role/soc/alice"


def test_invalid_transition_event_is_409(backend):
    ids = seed(backend, 1)
    e = event("api_patch_incident", ids[0], body=json.dumps({"status": "takedown_denied"}))
    status, body = call(e)
    assert status == 409 and body["error"] == "invalid transition"


def test_false_positive_event_allowlists(backend):
    ids = seed(backend, 1)
    subject = backend.get(ids[0]).subject
    status, _ = call(event("api_patch_incident", ids[0], body=json.dumps({"status": "false_positive"})))
    assert status == 200
    assert ("account", f"{subject.platform}:{subject.handle.lower()}") in {
        (e["kind"], e["key"]) for e in backend.allowlist()}


def test_takedown_event(backend):
    ids = seed(backend, 2)
    status, pack = call(event("api_takedown_incident", ids[0]))
    assert status == 200, pack
    assert pack["snapshot_sha256"] and pack["report"]["how"]
    assert backend.get(ids[0]).status.value == "takedown_requested"


@pytest.mark.parametrize("name", ["api_list_incidents", "api_get_incident", "api_patch_incident",
                                  "api_takedown_incident"])
def test_events_without_authorizer_are_401(backend, name):
    e = event(name)
    del e["requestContext"]["authorizer"]
    status, body = call(e)
    assert status == 401 and body["error"] == "unauthorized"


def test_authorizer_without_identity_is_401(backend):
    e = copy.deepcopy(event("api_list_incidents"))
    e["requestContext"]["authorizer"] = {"jwt": {"claims": {}, "scopes": []}}
    assert call(e)[0] == 401
    e["requestContext"]["authorizer"] = {"lambda": {"anything": "goes"}}
    assert call(e)[0] == 401


def test_stage_prefix_does_not_open_routes(backend):
    e = event("api_list_incidents", rawPath="/prod/health")
    e["requestContext"]["stage"] = "prod"
    e["requestContext"].pop("authorizer")
    assert call(e)[0] == 200  # /health under a named stage stays public
    e = event("api_list_incidents", rawPath="/prod/incidents")
    e["requestContext"]["stage"] = "prod"
    e["requestContext"].pop("authorizer")
    assert call(e)[0] == 401
