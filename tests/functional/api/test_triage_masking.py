"""Free text people and platforms write into incidents is masked like findings (issue 13, item 3):
notes, assignees, allowlist reasons and takedown notes, on SQLite and DynamoDB (moto), through the
local server over HTTP and through the Lambda resolver."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
from api_helpers import TOKEN, seed

from sentinelle.api.app import create_app
from sentinelle.api.auth import gateway_authorizer
from sentinelle.api.server import local_app, make_server

ROOT = Path(__file__).resolve().parents[3]
CARD, NIR = "4111 1111 1111 1111", "2 84 12 76 451 089 93"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYz8a1b2c3d4"  # alone: no key id beside it
RAW = [CARD, "4111111111111111", NIR, "284127645108993", AWS_SECRET, "XUtnFEMI/K7MDENG", "FR76 3000 6000 0112 3456 7890 189"]


@pytest.fixture(params=["sqlite", "dynamodb"])
def triage_store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if request.param == "sqlite":
        from sentinelle.store.sqlite import SQLiteStore

        s = SQLiteStore(tmp_path / "t.db")
        yield s
        s.close()
        return
    import boto3
    from aws_template import create_table
    from moto import mock_aws

    from sentinelle.store.dynamodb import DynamoDBStore

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    with mock_aws():
        create_table(boto3.client("dynamodb"), "triage-masking")
        yield DynamoDBStore("triage-masking")


Call = Callable[[str, str, dict[str, Any] | None], dict[str, Any]]


def _http(store: Any) -> Iterator[Call]:
    httpd = make_server(local_app(store, TOKEN), "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    client = httpx.Client(base_url=f"http://127.0.0.1:{httpd.server_address[1]}",
                          headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        r = client.request(method, path, json=body)
        assert r.status_code < 300, r.text
        return {"status": r.status_code, "text": r.text}

    try:
        yield call
    finally:
        client.close()
        httpd.shutdown()
        httpd.server_close()


def _lambda(store: Any) -> Iterator[Call]:
    app = create_app(store, auth=gateway_authorizer, cursor_key=b"k" * 32)
    template = json.loads((ROOT / "events" / "api_patch_incident.json").read_text())

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        ev = json.loads(json.dumps(template))
        path, _, query = path.partition("?")
        ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
        ev["rawQueryString"] = query
        ev["queryStringParameters"] = dict(p.split("=", 1) for p in query.split("&")) if query else None
        ev["requestContext"]["http"]["method"] = method
        ev["body"] = json.dumps(body) if body is not None else None
        ev["isBase64Encoded"] = False
        answer = app.resolve(ev, None)
        assert answer["statusCode"] < 300, answer
        return {"status": answer["statusCode"], "text": answer["body"]}

    yield call


@pytest.fixture(params=["http", "lambda"])
def call(request: pytest.FixtureRequest, triage_store: Any) -> Iterator[Call]:
    yield from (_http if request.param == "http" else _lambda)(triage_store)


def test_triage_free_text_is_masked_on_every_store_and_path(call: Call, triage_store: Any) -> None:
    [iid, other] = seed(triage_store, 2)
    answers = [
        call("PATCH", f"/incidents/{iid}", {"note": f"card {CARD}, NIR {NIR}", "assignee": f"analyst {CARD}"}),
        call("PATCH", f"/incidents/{iid}", {"note": AWS_SECRET}),
        call("PATCH", f"/incidents/{iid}", {"assignee": NIR}),
        call("POST", "/allowlist", {"kind": "domain", "key": "partner.example",
                                    "reason": f"{CARD} FR76 3000 6000 0112 3456 7890 189"}),
        call("POST", f"/incidents/{other}/takedown", {"note": f"customer card {CARD} key {AWS_SECRET}"}),
        call("GET", f"/incidents/{iid}"), call("GET", f"/incidents/{other}"), call("GET", "/allowlist"),
        call("GET", "/incidents?limit=200"),
    ]
    stored = [i.model_dump(mode="json") for i in (triage_store.get(iid), triage_store.get(other))]
    text = json.dumps([json.loads(a["text"]) for a in answers] + stored + triage_store.allowlist(),
                      ensure_ascii=False, default=str)
    assert "4111 •••• •••• 1111" in text and "[fr_nir]" in text  # masked, not dropped
    found = [raw for raw in RAW if raw in text]
    assert not found, f"raw values in triage answers or stored incidents: {found}"
