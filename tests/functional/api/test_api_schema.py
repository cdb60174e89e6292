"""Schemathesis over the generated OpenAPI document against the running local server: whatever a
client sends, the API never answers with a server error."""

from __future__ import annotations

import threading
from typing import Iterator

import pytest
import requests
import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from api_helpers import TOKEN, seed
from hypothesis import HealthCheck, settings

from sentinelle.api.app import openapi_document
from sentinelle.api.server import local_app, make_server
from sentinelle.store.sqlite import SQLiteStore

# The document does not depend on the store: build it once, from an app over a throwaway store.
SCHEMA = schemathesis.openapi.from_dict(openapi_document(local_app(SQLiteStore(":memory:"), TOKEN)))
SESSION = requests.Session()  # one keep-alive connection for all the generated calls


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    store = SQLiteStore(tmp_path_factory.mktemp("schema") / "api.db")
    seed(store, 8)
    httpd = make_server(local_app(store, TOKEN), "127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    SESSION.close()
    httpd.shutdown()
    httpd.server_close()
    store.close()


@SCHEMA.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, base_url):
    response = case.call(base_url=base_url, session=SESSION, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    # The answers match the document: declared status codes, content types and response schemas.
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                             content_type_conformance, response_schema_conformance])
    if response.status_code >= 400:
        assert "error" in response.json()  # every error answers {"error": ..., "detail": ...}


@SCHEMA.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
def test_anonymous_callers_are_refused_everywhere_but_health(case, base_url):
    response = case.call(base_url=base_url, session=SESSION, headers={"Authorization": ""})
    if case.path == "/health" and case.method == "GET":
        assert response.status_code == 200
    else:
        assert response.status_code in (401, 404 if case.path == "/health" else 401), (case.method, case.formatted_path)
